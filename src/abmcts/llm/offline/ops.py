"""Grid operations the offline models compose into programs.

Self-contained on purpose (numpy only, no imports from the package): the source of each function a
program uses is copied into the emitted code, which runs in a sandbox with only stdlib + numpy.
Every operation takes and returns a 2-D numpy int array.
"""

import numpy as np


def geom(g, k):
    """Element k (0..7) of the dihedral group: k%4 quarter turns, transposed first if k >= 4."""
    if k >= 4:
        g = g.T
    return np.rot90(g, k % 4)


def recolor(g, mapping):
    out = g.copy()
    for a, b in mapping.items():
        out[g == a] = b
    return out


def components(g, bg, diag, multi):
    """Connected components of non-background cells as lists of (row, col)."""
    h, w = g.shape
    a = g.tolist()  # plain lists: element access is several times faster than on numpy arrays
    seen = [[False] * w for _ in range(h)]
    steps = [(1, 0), (-1, 0), (0, 1), (0, -1)]
    if diag:
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    objs = []
    for r in range(h):
        for c in range(w):
            if seen[r][c] or a[r][c] == bg:
                continue
            col = a[r][c]
            stack, cells = [(r, c)], []
            seen[r][c] = True
            while stack:
                y, x = stack.pop()
                cells.append((y, x))
                for dy, dx in steps:
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and not seen[ny][nx]:
                        v = a[ny][nx]
                        if v != bg and (multi or v == col):
                            seen[ny][nx] = True
                            stack.append((ny, nx))
            objs.append(cells)
    return objs


def bbox(cells):
    ys = [p[0] for p in cells]
    xs = [p[1] for p in cells]
    return min(ys), max(ys) + 1, min(xs), max(xs) + 1


def crop_content(g, bg):
    ys, xs = np.nonzero(g != bg)
    if len(ys) == 0:
        return g
    return g[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def object_key(g, cells, select):
    """Sort key used to pick one object; the object with the highest key wins."""
    y0, y1, x0, x1 = bbox(cells)
    colors = [int(g[p]) for p in cells]
    if select == "largest":
        return len(cells)
    if select == "smallest":
        return -len(cells)
    if select == "bbox_largest":
        return (y1 - y0) * (x1 - x0)
    if select == "most_colors":
        return len(set(colors))
    if select == "top_left":
        return (-y0, -x0)
    if select == "bottom_right":
        return (y1, x1)
    if select == "densest":
        return len(cells) / ((y1 - y0) * (x1 - x0))
    if select == "sparsest":
        return -len(cells) / ((y1 - y0) * (x1 - x0))
    return 0


def select_object(g, bg, diag, multi, select):
    objs = components(g, bg, diag, multi)
    if not objs:
        return None
    if select in ("unique_color", "common_color", "unique_shape"):
        if select == "unique_shape":
            keys = [shape_key(c) for c in objs]
        else:
            keys = [tuple(sorted({int(g[p]) for p in c})) for c in objs]
        counts = {k: keys.count(k) for k in keys}
        if select == "common_color":
            best = max(counts.values())
            cand = [o for o, k in zip(objs, keys, strict=True) if counts[k] == best]
        else:
            cand = [o for o, k in zip(objs, keys, strict=True) if counts[k] == 1]
        return max(cand, key=len) if cand else None
    return max(objs, key=lambda c: object_key(g, c, select))


def crop_object(g, bg, diag, multi, select, only):
    """Crop the bounding box of one selected object (keeping only its cells if `only`)."""
    cells = select_object(g, bg, diag, multi, select)
    if cells is None:
        return g
    y0, y1, x0, x1 = bbox(cells)
    if not only:
        return g[y0:y1, x0:x1]
    out = np.full((y1 - y0, x1 - x0), bg, dtype=g.dtype)
    for y, x in cells:
        out[y - y0, x - x0] = g[y, x]
    return out


def shape_key(cells):
    y0, _, x0, _ = bbox(cells)
    return tuple(sorted((y - y0, x - x0) for y, x in cells))


def upscale(g, a, b):
    return np.repeat(np.repeat(g, a, axis=0), b, axis=1)


def downscale(g, a, b, mode):
    h, w = g.shape[0] // a, g.shape[1] // b
    if mode == "first":
        return g[::a, ::b][:h, :w]
    out = np.zeros((h, w), dtype=g.dtype)
    for i in range(h):
        for j in range(w):
            block = g[i * a : (i + 1) * a, j * b : (j + 1) * b].ravel()
            vals, counts = np.unique(block, return_counts=True)
            if mode == "majority":
                out[i, j] = vals[np.argmax(counts)]
            else:
                out[i, j] = block.max()
    return out


def tile(g, a, b, mode):
    """a x b copies of g; mode 1 mirrors alternate copies, mode 2 rotates them."""
    rows = []
    for i in range(a):
        row = []
        for j in range(b):
            t = g
            if mode == 1:
                if i % 2:
                    t = t[::-1]
                if j % 2:
                    t = t[:, ::-1]
            elif mode == 2 and (i + j) % 2:
                t = t[::-1, ::-1]
            elif mode == 3 and i % 2:
                t = t[:, ::-1]
            row.append(t)
        rows.append(np.concatenate(row, axis=1))
    return np.concatenate(rows, axis=0)


def kron_self(g, bg, invert):
    """Place a copy of g wherever g has a non-background cell (or a background one if invert)."""
    mask = (g == bg) if invert else (g != bg)
    h, w = g.shape
    out = np.full((h * h, w * w), bg, dtype=g.dtype)
    for i in range(h):
        for j in range(w):
            if mask[i, j]:
                out[i * h : (i + 1) * h, j * w : (j + 1) * w] = g
    return out


def mirror_concat(g, kind):
    lr, ud = g[:, ::-1], g[::-1]
    if kind == "h":
        return np.concatenate([g, lr], axis=1)
    if kind == "h2":
        return np.concatenate([lr, g], axis=1)
    if kind == "v":
        return np.concatenate([g, ud], axis=0)
    if kind == "v2":
        return np.concatenate([ud, g], axis=0)
    if kind == "quad":
        return np.concatenate([np.concatenate([g, lr], 1), np.concatenate([ud, lr[::-1]], 1)], 0)
    return np.concatenate([np.concatenate([lr[::-1], ud], 1), np.concatenate([lr, g], 1)], 0)


def gravity(g, bg, direction):
    """Let non-background cells fall towards a side (0 down, 1 up, 2 right, 3 left)."""
    t = g if direction < 2 else g.T
    out = np.full_like(t, bg)
    for j in range(t.shape[1]):
        col = [v for v in t[:, j] if v != bg]
        if direction % 2 == 0:
            out[t.shape[0] - len(col) :, j] = col
        else:
            out[: len(col), j] = col
    return out if direction < 2 else out.T


def object_attr(g, cells, objs, bg, attr):
    y0, y1, x0, x1 = bbox(cells)
    h, w = g.shape
    if attr == "size":
        return len(cells)
    if attr == "rank_desc":
        return sorted({len(o) for o in objs}, reverse=True).index(len(cells))
    if attr == "rank_asc":
        return sorted({len(o) for o in objs}).index(len(cells))
    if attr == "border":
        return int(y0 == 0 or x0 == 0 or y1 == h or x1 == w)
    if attr == "shape":
        return shape_key(cells)
    if attr == "height":
        return y1 - y0
    if attr == "width":
        return x1 - x0
    if attr == "is_rect":
        return int(len(cells) == (y1 - y0) * (x1 - x0))
    if attr == "holes":
        sub = np.ones((y1 - y0 + 2, x1 - x0 + 2), dtype=int)
        for y, x in cells:
            sub[y - y0 + 1, x - x0 + 1] = 0
        return len(components(sub, 0, False, False)) - 1
    if attr == "color":
        return int(g[cells[0]])
    if attr == "same_shape_count":
        key = shape_key(cells)
        return sum(shape_key(o) == key for o in objs)
    return 0


def recolor_by(g, bg, diag, attr, table):
    """Recolour each object by a learned table from one of its attributes to a colour."""
    objs = components(g, bg, diag, False)
    out = g.copy()
    for cells in objs:
        key = object_attr(g, cells, objs, bg, attr)
        if key in table:
            for p in cells:
                out[p] = table[key]
    return out


def fill_enclosed(g, bg, color):
    """Colour the background cells that cannot reach the border through background."""
    h, w = g.shape
    reach = np.zeros((h, w), dtype=bool)
    stack = [(r, c) for r in range(h) for c in (0, w - 1)] + [(r, c) for r in (0, h - 1) for c in range(w)]
    while stack:
        y, x = stack.pop()
        if 0 <= y < h and 0 <= x < w and not reach[y, x] and g[y, x] == bg:
            reach[y, x] = True
            stack += [(y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)]
    out = g.copy()
    out[(g == bg) & ~reach] = color
    return out


def symmetrize(g, mask, kinds):
    """Fill cells of colour `mask` from their mirror images under the listed symmetries."""
    out = g.copy()
    for _ in range(2):
        for kind in kinds:
            if kind == "lr":
                m = out[:, ::-1]
            elif kind == "ud":
                m = out[::-1]
            elif kind == "rot":
                m = out[::-1, ::-1]
            elif out.shape[0] == out.shape[1]:
                m = out.T if kind == "tr" else out[::-1, ::-1].T
            else:
                continue
            hole = (out == mask) & (m != mask)
            out[hole] = m[hole]
    return out


def crop_color_box(src, g, color):
    """Cut out of g the bounding box of the cells of `color` in src."""
    ys, xs = np.nonzero(src == color)
    if len(ys) == 0:
        return g
    return g[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def symmetry_patch(g, mask, kinds):
    return crop_color_box(g, symmetrize(g, mask, kinds), mask)


def connect_same(g, bg, axes):
    """Draw lines between two cells of the same colour in the same row ('h') or column ('v')."""
    out = g.copy()
    for axis in axes:
        t = out if axis == "h" else out.T
        src = g if axis == "h" else g.T
        for i in range(src.shape[0]):
            for c in set(src[i].tolist()) - {bg}:
                idx = np.nonzero(src[i] == c)[0]
                if len(idx) >= 2:
                    seg = t[i, idx.min() : idx.max() + 1]
                    seg[seg == bg] = c
    return out


def rays(g, bg, dirs, stop):
    """Extend each non-background cell in the given directions until the border (or an obstacle)."""
    a = g.tolist()
    out = g.tolist()
    h, w = g.shape
    for y, x in zip(*np.nonzero(g != bg), strict=True):
        y, x = int(y), int(x)
        v = a[y][x]
        for dy, dx in dirs:
            ny, nx = y + dy, x + dx
            while 0 <= ny < h and 0 <= nx < w:
                if a[ny][nx] != bg:
                    if stop:
                        break
                elif out[ny][nx] == bg:
                    out[ny][nx] = v
                ny, nx = ny + dy, nx + dx
    return np.array(out, dtype=g.dtype)


def split_halves(g, axis):
    """Two halves of g along an axis, dropping a one-cell divider line between them if there is one."""
    t = g if axis == 0 else g.T
    n = t.shape[0]
    if n % 2 == 1:
        a, b = t[: n // 2], t[n // 2 + 1 :]
    else:
        a, b = t[: n // 2], t[n // 2 :]
    return (a, b) if axis == 0 else (a.T, b.T)


def logic_halves(g, axis, op, color, bg):
    """Cell-wise logic of the two halves (non-background = true) painted with `color`."""
    a, b = split_halves(g, axis)
    a, b = a != bg, b != bg
    if op == "and":
        m = a & b
    elif op == "or":
        m = a | b
    elif op == "xor":
        m = a ^ b
    elif op == "nor":
        m = ~(a | b)
    else:
        m = a & ~b
    return np.where(m, color, bg)


def overlay_halves(g, axis, first):
    a, b = split_halves(g, axis)
    top, under = (a, b) if first else (b, a)
    return np.where(top != 0, top, under)


def remove_small(g, bg, diag, size):
    out = g.copy()
    for cells in components(g, bg, diag, True):
        if len(cells) <= size:
            for p in cells:
                out[p] = bg
    return out


def keep_color(g, color, bg):
    return np.where(g == color, g, bg)


def separators(g):
    rows = [i for i in range(g.shape[0]) if len(set(g[i].tolist())) == 1 and g[i, 0] != 0]
    cols = [j for j in range(g.shape[1]) if len(set(g[:, j].tolist())) == 1 and g[0, j] != 0]
    return rows, cols


def split_cells(g):
    """Sub-grids between full rows/columns of one non-black colour."""
    rows, cols = separators(g)
    cells = []
    rb = [-1] + rows + [g.shape[0]]
    cb = [-1] + cols + [g.shape[1]]
    for i in range(len(rb) - 1):
        for j in range(len(cb) - 1):
            c = g[rb[i] + 1 : rb[i + 1], cb[j] + 1 : cb[j + 1]]
            if c.size:
                cells.append(c)
    return cells


def select_cell(g, select):
    """Pick one cell of a separator-divided grid: most/least filled, or the odd one out."""
    cells = split_cells(g)
    if not cells:
        return g
    fill = [int((c != 0).sum()) for c in cells]
    if select == "most":
        return cells[int(np.argmax(fill))]
    if select == "least":
        return cells[int(np.argmin(fill))]
    keys = [c.tobytes() + bytes(c.shape) for c in cells]
    uniq = [c for c, k in zip(cells, keys, strict=True) if keys.count(k) == 1]
    return uniq[0] if uniq else cells[0]


def outline(g, bg, color):
    """Colour the interior cells of each solid region (cells whose 4 neighbours are all non-background)."""
    out = g.copy()
    p = np.pad(g != bg, 1)
    inner = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    out[inner] = color
    return out


def most_common_color_fill(g, bg):
    vals, counts = np.unique(g[g != bg], return_counts=True)
    c = vals[np.argmax(counts)] if len(vals) else bg
    return np.full((1, 1), c, dtype=g.dtype)
