"""Make the helper modules beside these tests importable (search_helpers, reference_mixed_model)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
