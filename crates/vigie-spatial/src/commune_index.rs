//! The commune locator: a two-level grid in which most places are known to lie wholly inside
//! one commune, and the few cells a boundary crosses hold the edges that cross them.
//!
//! The fine grid (0.01° by default, about 1.1 km) is grouped into blocks of 8 × 8 cells. A
//! coarse cell that no boundary touches is answered by one word (a commune, or nothing);
//! only coarse cells a boundary crosses get a block of fine words. A fine cell that no edge
//! touches is again one word; a fine cell an edge touches points into a contiguous record of
//! its candidate communes and their edges in the cell.
//!
//! Build: rasterise every commune's edges onto the fine grid (conservatively), then fill each
//! commune's interior row by row from its scanline crossings at the fine row centres, whole
//! coarse cells at a time where no boundary passes. Query: one or two array reads answer most
//! points; in a boundary cell, the parity of crossings between the cell centre (whose position
//! relative to each candidate is known from the build) and the point decides, with exact
//! predicates. Degenerate configurations fall back to a full exact test, so the index is exact,
//! not approximate. Points in no commune search the edges of the surrounding coarse cells for
//! the nearest within the snapping distance.

use geo_types::Coord;

use crate::grid::Grid;
use crate::segment::{Meeting, PointPosition, Segment, edges_of, meet, position_among_edges};
use crate::sphere::{KM_PER_DEGREE, UnitVector, distance_to_segment_km, longitude_degrees_for_km};
use vigie_domain::Zone;

/// Cell words carry a tag in their two high bits and a payload below.
const TAG_SHIFT: u32 = 30;
const PAYLOAD_MASK: u32 = (1 << TAG_SHIFT) - 1;
/// Far from every commune: outside, nothing to search.
const TAG_FAR: u32 = 0;
/// Wholly inside the commune in the payload.
const TAG_PURE: u32 = 1;
/// Coarse level: the payload is a block of fine words. Fine level: the payload is the offset
/// of the cell's record in the blob.
const TAG_SPLIT: u32 = 2;
/// Outside every commune but possibly within snapping reach of one.
const TAG_NEAR: u32 = 3;

/// Fine cells per block side: blocks are 8 × 8.
const BLOCK_SHIFT: usize = 3;
const BLOCK_SIDE: usize = 1 << BLOCK_SHIFT;
const BLOCK_MASK: usize = BLOCK_SIDE - 1;
const BLOCK_CELLS: usize = BLOCK_SIDE * BLOCK_SIDE;

/// Reference points closer than this to an edge (in degrees, about 0.1 mm) are not trusted
/// for the crossing parity: queries in such a cell use the full exact test for that commune.
const REFERENCE_MARGIN_DEGREES: f64 = 1e-9;

/// Flags in a candidate's header word.
const REFERENCE_INSIDE: u64 = 1 << 48;
const REFERENCE_TRUSTED: u64 = 1 << 49;

const NONE: u32 = u32::MAX;

/// How a point was matched to a commune, by position in the zone list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CommuneMatch {
    /// Inside or on the boundary of the commune.
    Inside(u32),
    /// Outside every commune; this one is the nearest, at `distance_km`.
    Snapped {
        /// Position of the nearest commune.
        commune: u32,
        /// Great-circle distance to its boundary, in kilometres.
        distance_km: f64,
    },
    /// Farther than the snapping distance from every commune.
    Outside,
}

/// The fine cell a point falls in, and the word that answers it.
#[derive(Debug, Clone, Copy)]
struct CellWord {
    row: usize,
    column: usize,
    word: u32,
}

const OFF_GRID: CellWord = CellWord {
    row: 0,
    column: 0,
    word: TAG_FAR << TAG_SHIFT,
};

/// Exact point-in-commune lookup with snapping. See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct CommuneIndex {
    /// The fine grid; its columns and rows are whole blocks.
    grid: Grid,
    coarse_columns: usize,
    coarse: Vec<u32>,
    fine: Vec<u32>,
    /// Records of the fine cells edges cross. A record is a candidate count, then per
    /// candidate a header (commune in the low 32 bits, edge count in bits 32–47, flags above)
    /// followed by its edges as four `f64` bit patterns each. Candidates come in tie-break
    /// order; the first that holds the point wins.
    blob: Vec<u64>,
    /// Every commune's edges, for the full exact test and for snapping.
    commune_edges: Vec<Segment>,
    commune_edge_ranges: Vec<(u32, u32)>,
    /// Owner of each edge in `commune_edges`.
    edge_commune: Vec<u32>,
    /// Tie-break order: lower rank wins on shared borders and overlaps (rank = order of ids).
    rank: Vec<u32>,
    /// For each coarse cell, the edges that touch it with their commune (compressed rows,
    /// copied so that a search reads memory in order), for snapping.
    snap_offsets: Vec<u32>,
    snap_edges: Vec<(Segment, u32)>,
    /// For each coarse cell, the bounding box of those edges (min x, min y, max x, max y), so
    /// that a whole cell out of reach is skipped at once.
    snap_bounds: Vec<[f64; 4]>,
    /// How many coarse cells around a point's own a snapping search must look at.
    snap_reach_columns: usize,
    snap_reach_rows: usize,
    snap_km: f64,
    census: Census,
}

/// How many cells of each kind the grid holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    /// Coarse cells answered by one commune.
    pub coarse_pure: usize,
    /// Coarse cells split into a block of fine cells.
    pub coarse_split: usize,
    /// Coarse cells outside every commune, within snapping reach.
    pub coarse_near: usize,
    /// Coarse cells far from every commune.
    pub coarse_far: usize,
    /// Fine cells (in blocks) answered by one commune.
    pub fine_pure: usize,
    /// Fine cells an edge crosses.
    pub fine_mixed: usize,
    /// Fine cells (in blocks) outside every commune.
    pub fine_near: usize,
}

/// One (fine cell, commune) pair met while rasterising, before records are laid out.
struct Draft {
    /// Position of the fine cell among the block cells (`block * 64 + local`).
    slot: u32,
    rank: u32,
    reference_inside: bool,
    reference_trusted: bool,
    edges_start: u32,
    edges_len: u32,
}

impl CommuneIndex {
    pub fn build(communes: &[Zone], cell_degrees: f64, snap_km: f64) -> CommuneIndex {
        let count = communes.len();
        let mut by_rank: Vec<usize> = (0..count).collect();
        by_rank.sort_by(|&a, &b| communes[a].id.cmp(&communes[b].id));
        let mut rank = vec![0u32; count];
        for (position_in_rank, &commune) in by_rank.iter().enumerate() {
            rank[commune] = position_in_rank as u32;
        }

        let mut commune_edges = Vec::new();
        let mut commune_edge_ranges = Vec::with_capacity(count);
        let mut edge_commune = Vec::new();
        let mut min = Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut max = Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        for (position, commune) in communes.iter().enumerate() {
            let start = commune_edges.len() as u32;
            for edge in edges_of(&commune.geometry) {
                for corner in [edge.start, edge.end] {
                    min.x = min.x.min(corner.x);
                    min.y = min.y.min(corner.y);
                    max.x = max.x.max(corner.x);
                    max.y = max.y.max(corner.y);
                }
                commune_edges.push(edge);
                edge_commune.push(position as u32);
            }
            commune_edge_ranges.push((start, commune_edges.len() as u32));
        }
        if commune_edges.is_empty() {
            min = Coord { x: 0.0, y: 0.0 };
            max = min;
        }

        // The grid reaches the snapping distance beyond the communes, so that every point
        // that could snap falls on it.
        let snap_lat_degrees = snap_km / KM_PER_DEGREE * 1.01;
        let highest_lat = (min.y.abs().max(max.y.abs()) + snap_lat_degrees + 1.0).min(89.0);
        let snap_lon_degrees = longitude_degrees_for_km(snap_km, highest_lat) * 1.01;
        let mut grid = Grid::covering(
            Coord {
                x: min.x - snap_lon_degrees - cell_degrees,
                y: min.y - snap_lat_degrees - cell_degrees,
            },
            Coord {
                x: max.x + snap_lon_degrees + cell_degrees,
                y: max.y + snap_lat_degrees + cell_degrees,
            },
            cell_degrees,
        );
        grid.columns = grid.columns.div_ceil(BLOCK_SIDE) * BLOCK_SIDE;
        grid.rows = grid.rows.div_ceil(BLOCK_SIDE) * BLOCK_SIDE;
        let coarse_columns = grid.columns >> BLOCK_SHIFT;
        let coarse_rows = grid.rows >> BLOCK_SHIFT;
        let coarse_count = coarse_columns * coarse_rows;
        let coarse_of = |row: usize, column: usize| {
            (row >> BLOCK_SHIFT) * coarse_columns + (column >> BLOCK_SHIFT)
        };
        let local_of =
            |row: usize, column: usize| ((row & BLOCK_MASK) << BLOCK_SHIFT) | (column & BLOCK_MASK);

        // Pass 1: rasterise every commune's edges onto the fine grid; coarse cells an edge
        // touches get a block.
        let mut block_of = vec![NONE; coarse_count];
        let mut blocks = 0u32;
        let mut touches: Vec<(u32, u32)> = Vec::new();
        let mut touch_ranges = Vec::with_capacity(count);
        let mut local: Vec<(u32, u32)> = Vec::new();
        for &commune in &by_rank {
            let (edges_start, edges_end) = commune_edge_ranges[commune];
            local.clear();
            for edge_index in edges_start..edges_end {
                let edge = commune_edges[edge_index as usize];
                grid.for_each_cell_touching_segment(
                    edge.start,
                    edge.end,
                    REFERENCE_MARGIN_DEGREES,
                    |cell| local.push((cell as u32, edge_index)),
                );
            }
            local.sort_unstable();
            local.dedup();
            let start = touches.len();
            for &(cell, _) in &local {
                let (row, column) = (cell as usize / grid.columns, cell as usize % grid.columns);
                let coarse = coarse_of(row, column);
                if block_of[coarse] == NONE {
                    block_of[coarse] = blocks;
                    blocks += 1;
                }
            }
            touches.extend_from_slice(&local);
            touch_ranges.push((start, touches.len()));
        }
        let slot_of = |cell: u32| -> usize {
            let (row, column) = (cell as usize / grid.columns, cell as usize % grid.columns);
            block_of[coarse_of(row, column)] as usize * BLOCK_CELLS + local_of(row, column)
        };

        // Pass 2, commune by commune in rank order: interior fill and boundary drafts.
        let block_cells = blocks as usize * BLOCK_CELLS;
        let mut fine_cover = vec![NONE; block_cells];
        let mut fine_touched = vec![false; block_cells];
        let mut stamp = vec![NONE; block_cells];
        let mut coarse_cover = vec![NONE; coarse_count];
        let mut drafts: Vec<Draft> = Vec::new();
        let mut draft_edges: Vec<u32> = Vec::new();
        let mut crossings: Vec<(u32, f64)> = Vec::new();
        for (commune_rank, &commune) in by_rank.iter().enumerate() {
            let commune_rank = commune_rank as u32;
            let (edges_start, edges_end) = commune_edge_ranges[commune];
            let edges = &commune_edges[edges_start as usize..edges_end as usize];
            let (touch_start, touch_end) = touch_ranges[commune_rank as usize];
            let own_touches = &touches[touch_start..touch_end];
            for &(cell, _) in own_touches {
                let slot = slot_of(cell);
                stamp[slot] = commune_rank;
                fine_touched[slot] = true;
            }

            // Scanline crossings at every fine row centre, half-open like the exact test.
            crossings.clear();
            for edge in edges {
                let (low, high) = if edge.start.y <= edge.end.y {
                    (edge.start, edge.end)
                } else {
                    (edge.end, edge.start)
                };
                if low.y == high.y {
                    continue;
                }
                let mut row = grid.row_clamped(low.y).saturating_sub(1);
                while row < grid.rows {
                    let y = grid.row_centre_y(row);
                    if y >= high.y {
                        break;
                    }
                    if y >= low.y {
                        let x = low.x + (y - low.y) * (high.x - low.x) / (high.y - low.y);
                        crossings.push((row as u32, x));
                    }
                    row += 1;
                }
            }
            crossings.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));

            // Interior fill: a cell whose centre lies between a pair of crossings and which no
            // edge of this commune touches lies wholly inside it. A coarse cell no edge at all
            // touches is filled whole: a crossing inside it would mean an edge touches it.
            let mut row_start = 0;
            while row_start < crossings.len() {
                let row = crossings[row_start].0 as usize;
                let mut row_end = row_start;
                while row_end < crossings.len() && crossings[row_end].0 as usize == row {
                    row_end += 1;
                }
                for pair in crossings[row_start..row_end].chunks_exact(2) {
                    let mut column = ((pair[0].1 - grid.min_x) / grid.cell_degrees - 0.5)
                        .ceil()
                        .max(0.0) as usize;
                    while column < grid.columns {
                        let centre_x = grid.min_x + (column as f64 + 0.5) * grid.cell_degrees;
                        if centre_x >= pair[1].1 {
                            break;
                        }
                        let coarse = coarse_of(row, column);
                        let block = block_of[coarse];
                        if block == NONE {
                            if coarse_cover[coarse] == NONE {
                                coarse_cover[coarse] = commune_rank;
                            }
                            column = ((column >> BLOCK_SHIFT) + 1) << BLOCK_SHIFT;
                            continue;
                        }
                        if centre_x > pair[0].1 {
                            let slot = block as usize * BLOCK_CELLS + local_of(row, column);
                            if stamp[slot] != commune_rank && fine_cover[slot] == NONE {
                                fine_cover[slot] = commune_rank;
                            }
                        }
                        column += 1;
                    }
                }
                row_start = row_end;
            }

            // Drafts for this commune's boundary cells, with the state of each cell's centre.
            let margin_squared = REFERENCE_MARGIN_DEGREES * REFERENCE_MARGIN_DEGREES;
            let mut group_start = 0;
            while group_start < own_touches.len() {
                let cell = own_touches[group_start].0;
                let mut group_end = group_start;
                while group_end < own_touches.len() && own_touches[group_end].0 == cell {
                    group_end += 1;
                }
                let (row, column) = (cell as usize / grid.columns, cell as usize % grid.columns);
                let centre = grid.centre(row, column);
                let row_crossings = {
                    let from = crossings.partition_point(|crossing| (crossing.0 as usize) < row);
                    let to = crossings.partition_point(|crossing| (crossing.0 as usize) <= row);
                    &crossings[from..to]
                };
                let crossings_west =
                    row_crossings.partition_point(|crossing| crossing.1 < centre.x);
                let edges_start = draft_edges.len() as u32;
                let mut reference_trusted = true;
                for &(_, edge_index) in &own_touches[group_start..group_end] {
                    if commune_edges[edge_index as usize].planar_distance_squared(centre)
                        <= margin_squared
                    {
                        reference_trusted = false;
                    }
                    draft_edges.push(edge_index);
                }
                drafts.push(Draft {
                    slot: slot_of(cell) as u32,
                    rank: commune_rank,
                    reference_inside: crossings_west % 2 == 1,
                    reference_trusted,
                    edges_start,
                    edges_len: draft_edges.len() as u32 - edges_start,
                });
                group_start = group_end;
            }
        }
        drop(stamp);

        // Lay out the words and records. Drafts were pushed commune by commune in rank order;
        // chaining them per slot in push order keeps that order inside each cell, without a
        // sort.
        let mut first_draft = vec![NONE; block_cells];
        let mut last_draft = vec![NONE; block_cells];
        let mut next_draft = vec![NONE; drafts.len()];
        for (position, draft) in drafts.iter().enumerate() {
            let slot = draft.slot as usize;
            if first_draft[slot] == NONE {
                first_draft[slot] = position as u32;
            } else {
                next_draft[last_draft[slot] as usize] = position as u32;
            }
            last_draft[slot] = position as u32;
        }
        drop(last_draft);
        let mut census = Census::default();
        let mut coarse = vec![TAG_FAR << TAG_SHIFT; coarse_count];
        for (cell, word) in coarse.iter_mut().enumerate() {
            if block_of[cell] != NONE {
                *word = (TAG_SPLIT << TAG_SHIFT) | block_of[cell];
                census.coarse_split += 1;
            } else if coarse_cover[cell] != NONE {
                *word = (TAG_PURE << TAG_SHIFT) | by_rank[coarse_cover[cell] as usize] as u32;
                census.coarse_pure += 1;
            }
        }
        let mut fine = vec![TAG_NEAR << TAG_SHIFT; block_cells];
        let mut blob: Vec<u64> =
            Vec::with_capacity(2 * drafts.len() + 4 * draft_edges.len() + block_cells / 4);
        for slot in 0..block_cells {
            let cover = fine_cover[slot];
            if !fine_touched[slot] {
                if cover != NONE {
                    fine[slot] = (TAG_PURE << TAG_SHIFT) | by_rank[cover as usize] as u32;
                    census.fine_pure += 1;
                } else {
                    census.fine_near += 1;
                }
                continue;
            }
            census.fine_mixed += 1;
            let record = blob.len();
            blob.push(0);
            let mut candidates = 0u64;
            let mut chain = first_draft[slot];
            while chain != NONE {
                let draft = &drafts[chain as usize];
                chain = next_draft[chain as usize];
                if draft.rank > cover {
                    continue;
                }
                let mut header =
                    by_rank[draft.rank as usize] as u64 | (draft.edges_len as u64) << 32;
                if draft.reference_inside {
                    header |= REFERENCE_INSIDE;
                }
                if draft.reference_trusted {
                    header |= REFERENCE_TRUSTED;
                }
                blob.push(header);
                let edge_list = &draft_edges
                    [draft.edges_start as usize..(draft.edges_start + draft.edges_len) as usize];
                for &edge_index in edge_list {
                    let edge = commune_edges[edge_index as usize];
                    blob.extend_from_slice(&[
                        edge.start.x.to_bits(),
                        edge.start.y.to_bits(),
                        edge.end.x.to_bits(),
                        edge.end.y.to_bits(),
                    ]);
                }
                candidates += 1;
            }
            if cover != NONE {
                blob.push(by_rank[cover as usize] as u64 | REFERENCE_INSIDE | REFERENCE_TRUSTED);
                candidates += 1;
            }
            blob[record] = candidates;
            fine[slot] = (TAG_SPLIT << TAG_SHIFT) | record as u32;
        }
        drop((
            fine_cover,
            fine_touched,
            drafts,
            draft_edges,
            first_draft,
            next_draft,
        ));

        // Snapping: coarse cells within reach of a split cell may hold points that snap.
        let coarse_degrees = grid.cell_degrees * BLOCK_SIDE as f64;
        let snap_reach_columns = (snap_lon_degrees / coarse_degrees).ceil() as usize;
        let snap_reach_rows = (snap_lat_degrees / coarse_degrees).ceil() as usize;
        mark_near(
            &mut coarse,
            coarse_columns,
            coarse_rows,
            snap_reach_columns,
            snap_reach_rows,
        );
        census.coarse_near = coarse
            .iter()
            .filter(|&&word| word >> TAG_SHIFT == TAG_NEAR)
            .count();
        census.coarse_far =
            coarse_count - census.coarse_near - census.coarse_pure - census.coarse_split;

        // Edges by coarse cell, for the snapping search: a counting sort of the touches by
        // coarse cell, each edge kept once per cell.
        let coarse_of_cell = |cell: u32| {
            let (row, column) = (cell as usize / grid.columns, cell as usize % grid.columns);
            coarse_of(row, column)
        };
        let mut counts = vec![0u32; coarse_count + 1];
        for &(cell, _) in &touches {
            counts[coarse_of_cell(cell) + 1] += 1;
        }
        for cell in 0..coarse_count {
            counts[cell + 1] += counts[cell];
        }
        let mut sorted_edges = vec![0u32; touches.len()];
        let mut cursor = counts.clone();
        for &(cell, edge) in &touches {
            let coarse = coarse_of_cell(cell);
            sorted_edges[cursor[coarse] as usize] = edge;
            cursor[coarse] += 1;
        }
        let mut edge_seen_in = vec![NONE; commune_edges.len()];
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(touches.len() / 2);
        for coarse in 0..coarse_count {
            for &edge in &sorted_edges[counts[coarse] as usize..counts[coarse + 1] as usize] {
                if edge_seen_in[edge as usize] != coarse as u32 {
                    edge_seen_in[edge as usize] = coarse as u32;
                    pairs.push((coarse as u32, edge));
                }
            }
        }
        drop((counts, cursor, sorted_edges, edge_seen_in));
        let mut snap_offsets = vec![0u32; coarse_count + 1];
        for &(cell, _) in &pairs {
            snap_offsets[cell as usize + 1] += 1;
        }
        for cell in 0..coarse_count {
            snap_offsets[cell + 1] += snap_offsets[cell];
        }
        let mut snap_bounds = vec![
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY
            ];
            coarse_count
        ];
        for &(cell, edge_index) in &pairs {
            let edge = commune_edges[edge_index as usize];
            let bounds = &mut snap_bounds[cell as usize];
            bounds[0] = bounds[0].min(edge.start.x.min(edge.end.x));
            bounds[1] = bounds[1].min(edge.start.y.min(edge.end.y));
            bounds[2] = bounds[2].max(edge.start.x.max(edge.end.x));
            bounds[3] = bounds[3].max(edge.start.y.max(edge.end.y));
        }
        let snap_edges = pairs
            .into_iter()
            .map(|(_, edge)| (commune_edges[edge as usize], edge_commune[edge as usize]))
            .collect();

        CommuneIndex {
            grid,
            coarse_columns,
            coarse,
            fine,
            blob,
            commune_edges,
            commune_edge_ranges,
            edge_commune,
            rank,
            snap_offsets,
            snap_edges,
            snap_bounds,
            snap_reach_columns,
            snap_reach_rows,
            snap_km,
            census,
        }
    }

    /// The commune holding `point`, the nearest one within the snapping distance, or none.
    #[inline]
    pub fn locate(&self, point: Coord<f64>) -> CommuneMatch {
        let mut cell = self.coarse_word(point);
        if cell.word >> TAG_SHIFT == TAG_SPLIT {
            cell = self.fine_word(cell);
        }
        self.resolve(cell, point)
    }

    /// Locates a batch of points. The reads of each level are issued for the whole batch
    /// before any is used, so that the processor overlaps their cache misses instead of
    /// waiting on each in turn: the same answers as [`CommuneIndex::locate`], faster.
    pub fn locate_batch(&self, points: &[Coord<f64>], answers: &mut [CommuneMatch]) {
        const CHUNK: usize = 32;
        let mut cells = [OFF_GRID; CHUNK];
        for (points, answers) in points.chunks(CHUNK).zip(answers.chunks_mut(CHUNK)) {
            for (slot, &point) in cells.iter_mut().zip(points) {
                *slot = self.coarse_word(point);
            }
            for slot in cells.iter_mut().take(points.len()) {
                if slot.word >> TAG_SHIFT == TAG_SPLIT {
                    *slot = self.fine_word(*slot);
                }
            }
            // Touch the records of boundary cells too, so their misses overlap as well.
            let mut touched = 0u64;
            for slot in cells.iter().take(points.len()) {
                if slot.word >> TAG_SHIFT == TAG_SPLIT {
                    touched = touched.wrapping_add(self.blob[(slot.word & PAYLOAD_MASK) as usize]);
                }
            }
            std::hint::black_box(touched);
            for ((answer, &point), &cell) in answers.iter_mut().zip(points).zip(&cells) {
                *answer = self.resolve(cell, point);
            }
        }
    }

    #[inline]
    fn coarse_word(&self, point: Coord<f64>) -> CellWord {
        let (Some(column), Some(row)) = (self.grid.column_of(point.x), self.grid.row_of(point.y))
        else {
            return OFF_GRID;
        };
        let coarse = (row >> BLOCK_SHIFT) * self.coarse_columns + (column >> BLOCK_SHIFT);
        CellWord {
            row,
            column,
            word: self.coarse[coarse],
        }
    }

    #[inline]
    fn fine_word(&self, cell: CellWord) -> CellWord {
        let block = (cell.word & PAYLOAD_MASK) as usize;
        let local = ((cell.row & BLOCK_MASK) << BLOCK_SHIFT) | (cell.column & BLOCK_MASK);
        CellWord {
            word: self.fine[block * BLOCK_CELLS + local],
            ..cell
        }
    }

    /// Answers a point from its final (coarse or fine) word.
    #[inline]
    fn resolve(&self, cell: CellWord, point: Coord<f64>) -> CommuneMatch {
        let payload = cell.word & PAYLOAD_MASK;
        match cell.word >> TAG_SHIFT {
            TAG_PURE => CommuneMatch::Inside(payload),
            TAG_FAR => CommuneMatch::Outside,
            TAG_NEAR => self.snap(point),
            _ => self.locate_in_mixed_cell(cell, payload as usize, point),
        }
    }

    fn locate_in_mixed_cell(
        &self,
        cell: CellWord,
        record: usize,
        point: Coord<f64>,
    ) -> CommuneMatch {
        let centre = self.grid.centre(cell.row, cell.column);
        let candidates = self.blob[record];
        let mut cursor = record + 1;
        for _ in 0..candidates {
            let header = self.blob[cursor];
            let commune = header as u32;
            let edge_count = ((header >> 32) & 0xffff) as usize;
            let edges = &self.blob[cursor + 1..cursor + 1 + 4 * edge_count];
            cursor += 1 + 4 * edge_count;
            if self.candidate_contains(header, commune, edges, centre, point) {
                return CommuneMatch::Inside(commune);
            }
        }
        self.snap(point)
    }

    #[inline]
    fn candidate_contains(
        &self,
        header: u64,
        commune: u32,
        edges: &[u64],
        centre: Coord<f64>,
        point: Coord<f64>,
    ) -> bool {
        let mut inside = header & REFERENCE_INSIDE != 0;
        if edges.is_empty() {
            return inside;
        }
        if header & REFERENCE_TRUSTED == 0 {
            return self.commune_contains(commune, point);
        }
        for bits in edges.chunks_exact(4) {
            let edge = Segment {
                start: Coord {
                    x: f64::from_bits(bits[0]),
                    y: f64::from_bits(bits[1]),
                },
                end: Coord {
                    x: f64::from_bits(bits[2]),
                    y: f64::from_bits(bits[3]),
                },
            };
            match meet(centre, point, &edge) {
                Meeting::Apart => {}
                Meeting::Cross => inside = !inside,
                Meeting::ToOnEdge => return true,
                Meeting::Degenerate => return self.commune_contains(commune, point),
            }
        }
        inside
    }

    /// The full exact test against every edge of one commune (closed: the boundary counts).
    pub fn commune_contains(&self, commune: u32, point: Coord<f64>) -> bool {
        let (start, end) = self.commune_edge_ranges[commune as usize];
        position_among_edges(point, &self.commune_edges[start as usize..end as usize])
            != PointPosition::Outside
    }

    /// The nearest commune within the snapping distance of a point that lies in none: a scan
    /// of the edges of the coarse cells around the point, skipping edges whose bounding box is
    /// provably farther than the best distance so far.
    fn snap(&self, point: Coord<f64>) -> CommuneMatch {
        let (Some(column), Some(row)) = (self.grid.column_of(point.x), self.grid.row_of(point.y))
        else {
            return CommuneMatch::Outside;
        };
        let coarse_row = row >> BLOCK_SHIFT;
        let coarse_column = column >> BLOCK_SHIFT;
        let coarse_rows = self.grid.rows >> BLOCK_SHIFT;
        // Kilometres per degree of longitude, lowered to stay a lower bound over the search
        // window, and a 1 % margin on the planar approximation of short distances.
        let lon_scale = (point.y.abs() + 1.0).min(89.0).to_radians().cos();
        let mut unit: Option<UnitVector> = None;
        let mut best: Option<(f64, u32, u32)> = None;
        for search_row in coarse_row.saturating_sub(self.snap_reach_rows)
            ..=(coarse_row + self.snap_reach_rows).min(coarse_rows - 1)
        {
            for search_column in coarse_column.saturating_sub(self.snap_reach_columns)
                ..=(coarse_column + self.snap_reach_columns).min(self.coarse_columns - 1)
            {
                let cell = search_row * self.coarse_columns + search_column;
                let (start, end) = (self.snap_offsets[cell], self.snap_offsets[cell + 1]);
                if start == end {
                    continue;
                }
                let lower_bound_km = |[min_x, min_y, max_x, max_y]: [f64; 4]| {
                    let gap_x = (min_x - point.x).max(point.x - max_x).max(0.0);
                    let gap_y = (min_y - point.y).max(point.y - max_y).max(0.0);
                    ((gap_x * lon_scale).powi(2) + gap_y.powi(2)).sqrt() * KM_PER_DEGREE * 0.99
                };
                let bound = |best: &Option<(f64, u32, u32)>| {
                    best.map_or(self.snap_km, |(distance, _, _)| distance.min(self.snap_km))
                };
                if lower_bound_km(self.snap_bounds[cell]) > bound(&best) {
                    continue;
                }
                for (edge, commune) in &self.snap_edges[start as usize..end as usize] {
                    let edge_bounds = [
                        edge.start.x.min(edge.end.x),
                        edge.start.y.min(edge.end.y),
                        edge.start.x.max(edge.end.x),
                        edge.start.y.max(edge.end.y),
                    ];
                    if lower_bound_km(edge_bounds) > bound(&best) {
                        continue;
                    }
                    let point_unit =
                        *unit.get_or_insert_with(|| UnitVector::from_lon_lat(point.x, point.y));
                    let distance =
                        crate::sphere::Arc::new(edge.start, edge.end).distance_km(point_unit);
                    let key = (distance, self.rank[*commune as usize], *commune);
                    if best.is_none_or(|current| (key.0, key.1) < (current.0, current.1)) {
                        best = Some(key);
                    }
                }
            }
        }
        match best {
            Some((distance_km, _, commune)) if distance_km <= self.snap_km => {
                CommuneMatch::Snapped {
                    commune,
                    distance_km,
                }
            }
            _ => CommuneMatch::Outside,
        }
    }

    /// The reference answer: every commune tested exactly, lowest id first, then snapping by
    /// a scan over every edge. Slow; for tests and for checking the index.
    pub fn locate_brute_force(&self, point: Coord<f64>) -> CommuneMatch {
        let mut by_rank: Vec<u32> = (0..self.rank.len() as u32).collect();
        by_rank.sort_by_key(|&commune| self.rank[commune as usize]);
        for commune in by_rank {
            if self.commune_contains(commune, point) {
                return CommuneMatch::Inside(commune);
            }
        }
        // Edges whose bounding box is farther than twice the snapping distance (in the wider
        // longitude degrees) cannot be within the snapping distance; skipping them keeps the
        // reference fast enough to run on tens of thousands of points without changing its
        // answer.
        let far_degrees =
            2.0 * longitude_degrees_for_km(self.snap_km.max(1.0), (point.y.abs() + 1.0).min(89.0));
        let mut best: Option<(f64, u32, u32)> = None;
        for (edge_index, segment) in self.commune_edges.iter().enumerate() {
            if point.x < segment.start.x.min(segment.end.x) - far_degrees
                || point.x > segment.start.x.max(segment.end.x) + far_degrees
                || point.y < segment.start.y.min(segment.end.y) - far_degrees
                || point.y > segment.start.y.max(segment.end.y) + far_degrees
            {
                continue;
            }
            let distance = distance_to_segment_km(point, segment.start, segment.end);
            let commune = self.edge_commune[edge_index];
            let key = (distance, self.rank[commune as usize], commune);
            if best.is_none_or(|current| (key.0, key.1) < (current.0, current.1)) {
                best = Some(key);
            }
        }
        match best {
            Some((distance_km, _, commune)) if distance_km <= self.snap_km => {
                CommuneMatch::Snapped {
                    commune,
                    distance_km,
                }
            }
            _ => CommuneMatch::Outside,
        }
    }

    /// Bytes held on the heap by the index.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.coarse.capacity() * size_of::<u32>()
            + self.fine.capacity() * size_of::<u32>()
            + self.blob.capacity() * size_of::<u64>()
            + self.commune_edges.capacity() * size_of::<Segment>()
            + self.commune_edge_ranges.capacity() * size_of::<(u32, u32)>()
            + self.edge_commune.capacity() * size_of::<u32>()
            + self.rank.capacity() * size_of::<u32>()
            + self.snap_offsets.capacity() * size_of::<u32>()
            + self.snap_edges.capacity() * size_of::<(Segment, u32)>()
            + self.snap_bounds.capacity() * size_of::<[f64; 4]>()
    }

    pub fn census(&self) -> Census {
        self.census
    }

    pub fn cell_degrees(&self) -> f64 {
        self.grid.cell_degrees
    }

    pub fn grid_origin(&self) -> (f64, f64) {
        (self.grid.min_x, self.grid.min_y)
    }
}

/// Marks as near every far coarse cell within `reach` cells of a split cell (a square
/// dilation, which contains the disc of snapping reach).
fn mark_near(
    coarse: &mut [u32],
    columns: usize,
    rows: usize,
    reach_columns: usize,
    reach_rows: usize,
) {
    let split: Vec<bool> = coarse
        .iter()
        .map(|&word| word >> TAG_SHIFT == TAG_SPLIT)
        .collect();
    let mut horizontal = vec![false; coarse.len()];
    for row in 0..rows {
        let line = row * columns..(row + 1) * columns;
        dilate_line(&split[line.clone()], reach_columns, &mut horizontal[line]);
    }
    let mut column_in = vec![false; rows];
    let mut column_out = vec![false; rows];
    for column in 0..columns {
        for (row, value) in column_in.iter_mut().enumerate() {
            *value = horizontal[row * columns + column];
        }
        dilate_line(&column_in, reach_rows, &mut column_out);
        for (row, &near) in column_out.iter().enumerate() {
            let cell = row * columns + column;
            if near && coarse[cell] >> TAG_SHIFT == TAG_FAR {
                coarse[cell] = TAG_NEAR << TAG_SHIFT;
            }
        }
    }
}

/// `output[i]` is true when some `input[j]` with |i − j| ≤ reach is true.
fn dilate_line(input: &[bool], reach: usize, output: &mut [bool]) {
    let mut last_true: Option<usize> = None;
    for (position, &value) in input.iter().enumerate() {
        if value {
            last_true = Some(position);
        }
        output[position] = last_true.is_some_and(|last| position - last <= reach);
    }
    let mut next_true: Option<usize> = None;
    for position in (0..input.len()).rev() {
        if input[position] {
            next_true = Some(position);
        }
        if next_true.is_some_and(|next| next - position <= reach) {
            output[position] = true;
        }
    }
}
