//! The one W×H notation, shared by Life (`--size`, `--random`, job files) and the workloads'
//! sizes (`4096x4096:100` for Life, `2048x2048:1000` for Mandelbrot).
//!
//! It reads syntax only: each caller checks the numbers against its own limits and says so in
//! its own words (an empty Mandelbrot image, a Life grid beyond the cell limit, a batch job's
//! size of 0).

/// Parses `WxH` (`x`, `X` or `×` between the numbers, spaces allowed around them) or a single
/// `N`, meaning a square N×N, into a width and a height. `None` when the text is not two whole
/// numbers that fit in 32 bits; zero is accepted here and left to the caller's limits.
pub fn parse_dimensions(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (w, h) = text.split_once(['x', 'X', '×']).unwrap_or((text, text));
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::parse_dimensions;

    #[test]
    fn reads_both_spellings_and_a_square() {
        assert_eq!(parse_dimensions("64x48"), Some((64, 48)));
        assert_eq!(parse_dimensions(" 64 X 48 "), Some((64, 48)));
        assert_eq!(parse_dimensions("64×48"), Some((64, 48)));
        assert_eq!(parse_dimensions("4096"), Some((4096, 4096)));
        assert_eq!(parse_dimensions("0x10"), Some((0, 10)));
    }

    #[test]
    fn refuses_what_is_not_two_whole_numbers() {
        for bad in [
            "",
            "x",
            "64x",
            "x48",
            "64by48",
            "-1x5",
            "1.5x2",
            "64x48x2",
            "5000000000x1",
        ] {
            assert_eq!(parse_dimensions(bad), None, "{bad}");
        }
    }
}
