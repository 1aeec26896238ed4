//! A regular lon/lat grid: the addressing shared by the commune and corridor indexes.

use geo_types::Coord;

/// Cells of `cell_degrees` covering a bounding box, row-major from the south-west corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Grid {
    pub min_x: f64,
    pub min_y: f64,
    pub cell_degrees: f64,
    inverse_cell: f64,
    pub columns: usize,
    pub rows: usize,
}

/// Above this many cells the cell size is doubled until the grid fits.
const MAX_CELLS: usize = 16 * 1024 * 1024;

impl Grid {
    /// A grid covering `[min, max]`, with cells of `cell_degrees` (enlarged if the grid
    /// would exceed 16 million cells).
    pub fn covering(min: Coord<f64>, max: Coord<f64>, cell_degrees: f64) -> Grid {
        let mut cell_degrees = cell_degrees;
        loop {
            let columns = (((max.x - min.x) / cell_degrees).floor() as usize + 1).max(1);
            let rows = (((max.y - min.y) / cell_degrees).floor() as usize + 1).max(1);
            if columns.saturating_mul(rows) <= MAX_CELLS {
                return Grid {
                    min_x: min.x,
                    min_y: min.y,
                    cell_degrees,
                    inverse_cell: 1.0 / cell_degrees,
                    columns,
                    rows,
                };
            }
            cell_degrees *= 2.0;
        }
    }

    pub fn cell_count(&self) -> usize {
        self.columns * self.rows
    }

    /// The column holding `x`, if any. The same arithmetic is used to build and to query.
    #[inline]
    pub fn column_of(&self, x: f64) -> Option<usize> {
        // Truncation is the floor for the non-negative values that pass the range check,
        // and avoids a libm call on processors without SSE4.1's rounding instruction.
        let column = (x - self.min_x) * self.inverse_cell;
        if column >= 0.0 && column < self.columns as f64 {
            Some(column as usize)
        } else {
            None
        }
    }

    /// The row holding `y`, if any.
    #[inline]
    pub fn row_of(&self, y: f64) -> Option<usize> {
        let row = (y - self.min_y) * self.inverse_cell;
        if row >= 0.0 && row < self.rows as f64 {
            Some(row as usize)
        } else {
            None
        }
    }

    /// The column holding `x`, clamped into the grid.
    pub fn column_clamped(&self, x: f64) -> usize {
        let column = ((x - self.min_x) * self.inverse_cell).floor();
        column.clamp(0.0, (self.columns - 1) as f64) as usize
    }

    /// The row holding `y`, clamped into the grid.
    pub fn row_clamped(&self, y: f64) -> usize {
        let row = ((y - self.min_y) * self.inverse_cell).floor();
        row.clamp(0.0, (self.rows - 1) as f64) as usize
    }

    /// The cell holding a point, if it lies on the grid.
    #[inline]
    pub fn cell_of(&self, point: Coord<f64>) -> Option<usize> {
        let column = self.column_of(point.x)?;
        let row = self.row_of(point.y)?;
        Some(row * self.columns + column)
    }

    /// West edge of a column.
    pub fn column_x(&self, column: usize) -> f64 {
        self.min_x + column as f64 * self.cell_degrees
    }

    /// Centre of a cell: the reference point of the commune index. Build and query must
    /// compute it with this one function so both see the same bits.
    #[inline]
    pub fn centre(&self, row: usize, column: usize) -> Coord<f64> {
        Coord {
            x: self.min_x + (column as f64 + 0.5) * self.cell_degrees,
            y: self.row_centre_y(row),
        }
    }

    /// Centre of a cell given by its row-major index.
    #[inline]
    pub fn cell_centre(&self, cell: usize) -> Coord<f64> {
        self.centre(cell / self.columns, cell % self.columns)
    }

    /// Latitude of the centre line of a row.
    #[inline]
    pub fn row_centre_y(&self, row: usize) -> f64 {
        self.min_y + (row as f64 + 0.5) * self.cell_degrees
    }

    /// Calls `visit` with every cell that the closed segment `start`–`end`, widened by
    /// `margin` degrees, may touch. Conservative: it may visit a few cells the segment misses,
    /// never misses one it touches.
    pub fn for_each_cell_touching_segment(
        &self,
        start: Coord<f64>,
        end: Coord<f64>,
        margin: f64,
        mut visit: impl FnMut(usize),
    ) {
        let x_low = start.x.min(end.x) - margin;
        let x_high = start.x.max(end.x) + margin;
        let first_column = self.column_clamped(x_low);
        let last_column = self.column_clamped(x_high);
        let slope = if end.x != start.x {
            Some((end.y - start.y) / (end.x - start.x))
        } else {
            None
        };
        for column in first_column..=last_column {
            let strip_low = self.column_x(column).max(start.x.min(end.x));
            let strip_high = self.column_x(column + 1).min(start.x.max(end.x));
            let (y_low, y_high) = match slope {
                Some(slope) if strip_low <= strip_high => {
                    let y_a = start.y + (strip_low - start.x) * slope;
                    let y_b = start.y + (strip_high - start.x) * slope;
                    (y_a.min(y_b), y_a.max(y_b))
                }
                _ => (start.y.min(end.y), start.y.max(end.y)),
            };
            let first_row = self.row_clamped(y_low - margin);
            let last_row = self.row_clamped(y_high + margin);
            for row in first_row..=last_row {
                visit(row * self.columns + column);
            }
        }
    }
}
