"""Point in polygon for many points at once: prepared shapely 2 polygons, vectorised tests.

No database here: `services.assign_points` wraps it for stored layers, and
`districts assign-points --geojson` uses it straight on a file.

How it is fast: a grid over the layer's box is classified once, when the shapes are loaded.
A cell that lies strictly inside one district (and touches no other) answers for every point
in it; a cell that touches no district answers "outside". Only points in the cells that a
boundary crosses get the exact tests: `contains_xy`, then `intersects_xy` for the points
still without a district (those on an edge), polygon by polygon, each polygon looking only at
the points of its own bounding box (points sorted by x, a binary search, then a y filter).
"""

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

OUTSIDE = -1
MIXED = -2  # a grid cell that a boundary crosses: its points need the exact tests
CELLS_PER_DISTRICT = 4096
MAX_CELLS = 512 * 512


class LayerShapes:
    """The districts of one layer, ready to locate points: prepared polygons, their boxes and
    a classified grid.

    `keys[i]` names polygon i (a District id, or a position in a file). Immutable once built;
    the polygons are warmed up (GEOS builds its point locators lazily) so threads may share it.
    """

    def __init__(self, keys: Sequence[int], geometries: Sequence[BaseGeometry]):
        if len(keys) != len(geometries):
            raise ValueError("One key per geometry.")
        self.keys = np.asarray(keys, dtype=np.int64)
        self.geometries = np.asarray(list(geometries), dtype=object)
        shapely.prepare(self.geometries)
        self.bounds = shapely.bounds(self.geometries) if len(self.geometries) else np.empty((0, 4))
        for geometry, (x0, y0, _x1, _y1) in zip(self.geometries, self.bounds, strict=True):
            shapely.contains_xy(geometry, x0, y0)
            shapely.intersects_xy(geometry, x0, y0)
        self._build_grid()

    def __len__(self) -> int:
        return len(self.keys)

    # ------------------------------------------------------------ the grid

    def _build_grid(self) -> None:
        """cells[row, column] = the polygon whose interior holds the whole cell, OUTSIDE when
        no polygon touches it, MIXED otherwise."""
        if not len(self):
            self.cells = np.full((1, 1), OUTSIDE, dtype=np.int32)
            self.extent, self.origin, self.step = np.zeros(4), np.zeros(2), np.ones(2)
            return
        west, south = self.bounds[:, 0].min(), self.bounds[:, 1].min()
        east, north = self.bounds[:, 2].max(), self.bounds[:, 3].max()
        self.extent = np.array([west, south, east, north])
        width, height = max(east - west, 1e-9), max(north - south, 1e-9)
        total = min(MAX_CELLS, CELLS_PER_DISTRICT * len(self))
        columns = int(np.clip(round(np.sqrt(total * width / height)), 1, 4096))
        rows = int(np.clip(round(total / columns), 1, 4096))
        self.origin = np.array([west, south])
        self.step = np.array([width / columns, height / rows])
        owner = np.full((rows, columns), OUTSIDE, dtype=np.int32)
        touching = np.zeros((rows, columns), dtype=np.int32)
        margin = 1e-9 * self.step  # a cell counts as inside only with a little room to spare
        for at, geometry in enumerate(self.geometries):
            (c0, r0), (c1, r1) = (
                self._cell_of(self.bounds[at, :2]),
                self._cell_of(self.bounds[at, 2:]),
            )
            c0, r0 = max(c0, 0), max(r0, 0)
            c1, r1 = min(c1, columns - 1), min(r1, rows - 1)
            cs, rs = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
            x0 = west + cs * self.step[0] - margin[0]
            y0 = south + rs * self.step[1] - margin[1]
            boxes = shapely.box(
                x0, y0, x0 + self.step[0] + 2 * margin[0], y0 + self.step[1] + 2 * margin[1]
            )
            touches = shapely.intersects(geometry, boxes)
            inside = touches & shapely.contains_properly(geometry, boxes)
            touching[rs[touches], cs[touches]] += 1
            owner[rs[inside], cs[inside]] = at
        self.cells = np.full((rows, columns), MIXED, dtype=np.int32)
        self.cells[touching == 0] = OUTSIDE
        pure = (touching == 1) & (owner != OUTSIDE)
        self.cells[pure] = owner[pure]

    def _cell_of(self, point: np.ndarray) -> tuple[int, int]:
        column, row = np.floor((point - self.origin) / self.step).astype(int)
        return int(column), int(row)

    # ------------------------------------------------------------ locating

    def locate(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """The position (0..n-1) of the polygon each point falls in, OUTSIDE (-1) for none.

        A point inside a polygon gets that polygon; a point on an edge (inside none) gets the
        first polygon whose boundary it touches, so points on a shared boundary are never lost.
        NaN coordinates are outside.
        """
        xs = np.asarray(xs, dtype=np.float64).ravel()
        ys = np.asarray(ys, dtype=np.float64).ravel()
        if xs.shape != ys.shape:
            raise ValueError(f"{xs.size} x values but {ys.size} y values.")
        found = np.full(xs.size, OUTSIDE, dtype=np.int64)
        if not xs.size or not len(self):
            return found
        rows, columns = self.cells.shape
        west, south, east, north = self.extent
        # Outside the layer's box (or NaN): outside every district, no test needed.
        at = np.flatnonzero((xs >= west) & (xs <= east) & (ys >= south) & (ys <= north))
        column = np.minimum(((xs[at] - west) / self.step[0]).astype(np.intp), columns - 1)
        row = np.minimum(((ys[at] - south) / self.step[1]).astype(np.intp), rows - 1)
        cell = self.cells[row, column]
        found[at] = cell
        exact = at[cell == MIXED]
        if exact.size:
            found[exact] = self._locate_exactly(xs[exact], ys[exact])
        return found

    def _locate_exactly(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        order = np.argsort(xs, kind="stable")
        sorted_x, sorted_y = xs[order], ys[order]
        in_sorted = np.full(xs.size, OUTSIDE, dtype=np.int64)
        self._fill(shapely.contains_xy, sorted_x, sorted_y, None, in_sorted)
        left = np.flatnonzero(in_sorted == OUTSIDE)  # still in x order: searchable again
        if left.size:
            self._fill(shapely.intersects_xy, sorted_x[left], sorted_y[left], left, in_sorted)
        found = np.empty_like(in_sorted)
        found[order] = in_sorted
        return found

    def _fill(self, test, xs, ys, positions: np.ndarray | None, found: np.ndarray) -> None:
        """For each polygon, test the points of `xs` (sorted) in its box that have no polygon
        yet; write the polygon's position into `found[positions[hit]]` (`found[hit]` when
        `positions` is None)."""
        starts = np.searchsorted(xs, self.bounds[:, 0], side="left")
        ends = np.searchsorted(xs, self.bounds[:, 2], side="right")
        for polygon_at, geometry in enumerate(self.geometries):
            start, end = starts[polygon_at], ends[polygon_at]
            if start == end:
                continue
            y = ys[start:end]
            in_box = (y >= self.bounds[polygon_at, 1]) & (y <= self.bounds[polygon_at, 3])
            candidates = start + np.flatnonzero(in_box)
            targets = candidates if positions is None else positions[candidates]
            free = found[targets] == OUTSIDE
            candidates, targets = candidates[free], targets[free]
            if not candidates.size:
                continue
            hit = test(geometry, xs[candidates], ys[candidates])
            found[targets[hit]] = polygon_at

    def keys_at(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """The key of the polygon each point falls in, OUTSIDE (-1) for none."""
        positions = self.locate(xs, ys)
        if not len(self):
            return positions
        return np.where(positions == OUTSIDE, OUTSIDE, self.keys[np.maximum(positions, 0)])


def keys_to_list(keys: np.ndarray) -> list[int | None]:
    """[district id or None], the shape callers outside numpy want."""
    values = keys.astype(object)
    values[keys == OUTSIDE] = None
    return values.tolist()
