"""The built-in data sources, one module each holding `SOURCE` (`abmcts.arc.datasource`): the name
of a module here is a value of `data.source`."""
