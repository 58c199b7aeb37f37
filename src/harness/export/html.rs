//! The self-contained HTML page of `speedup report` (to come).
