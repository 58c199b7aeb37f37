//! Numbers with their units, as every human-readable format writes them: durations, rates,
//! bytes, bandwidths and percentages. One place, so the table, Markdown, the HTML page,
//! `speedup compare` and `speedup verify` never disagree on how "1.23 ms" looks.

/// Formats seconds for people with three significant digits: "812 ns", "12.3 µs", "1.23 ms",
/// "4.56 s".
pub fn format_seconds(seconds: f64) -> String {
    let (value, unit) = if seconds < 1e-6 {
        (seconds * 1e9, "ns")
    } else if seconds < 1e-3 {
        (seconds * 1e6, "µs")
    } else if seconds < 1.0 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    format!("{} {unit}", three_significant(value))
}

/// A count per second with an SI prefix and three significant digits: "1.23 G cell-updates/s".
pub fn format_rate(per_second: f64, unit: &str) -> String {
    let prefixes = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    for (scale, prefix) in prefixes {
        if per_second >= scale {
            return format!("{} {prefix} {unit}", three_significant(per_second / scale));
        }
    }
    format!("{} {unit}", three_significant(per_second))
}

/// `value` with three significant digits (no exponent; values up to 999 expected).
fn three_significant(value: f64) -> String {
    if value >= 100.0 || value == 0.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// Bytes as whole mebibytes, rounded down: "256 MiB" (for device limits, which are powers of two).
pub fn format_mebibytes(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

/// Bytes as gibibytes with one decimal: "23.5 GiB" (for memory sizes).
pub fn format_gibibytes(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// A bandwidth in decimal gigabytes per second with three decimals: "12.345 GB/s" (the unit
/// STREAM results are quoted in).
pub fn format_bandwidth(bytes_per_second: f64) -> String {
    format!("{:.3} GB/s", bytes_per_second / 1e9)
}

/// A fraction as a whole percentage: 0.456 → "46%".
pub fn format_percent(fraction: f64) -> String {
    format!("{:.0}%", 100.0 * fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_bandwidths_and_percentages() {
        assert_eq!(format_mebibytes(256 << 20), "256 MiB");
        assert_eq!(format_mebibytes((2 << 20) - 1), "1 MiB");
        assert_eq!(format_gibibytes(25_275_990_016), "23.5 GiB");
        assert_eq!(format_bandwidth(12_345_678_900.0), "12.346 GB/s");
        assert_eq!(format_percent(0.456), "46%");
        assert_eq!(format_percent(1.0), "100%");
    }
}
