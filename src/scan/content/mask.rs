//! Masking of document numbers: the only form in which a number may leave a confirmer.

/// How many trailing characters a mask may show.
const SHOWN: usize = 4;

/// Masks `s` for display: every character but the last four becomes `*`, e.g. `******2561`.
///
/// A string of fewer than eight characters is masked completely, so that a mask never reveals
/// more than half of a number.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    let shown = if n >= 2 * SHOWN { SHOWN } else { 0 };
    s.chars()
        .enumerate()
        .map(|(i, c)| if i + shown < n { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn keeps_only_the_last_four() {
        assert_eq!(mask("L898902C3"), "*****02C3");
        assert_eq!(mask("11010519491231002X"), "**************002X");
        assert_eq!(mask("12345678"), "****5678");
    }

    #[test]
    fn short_strings_are_masked_completely() {
        assert_eq!(mask(""), "");
        assert_eq!(mask("1"), "*");
        assert_eq!(mask("1234"), "****");
        assert_eq!(mask("1234567"), "*******");
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(mask("证件号码１２３４５６"), "******３４５６");
        assert_eq!(mask("é1234567"), "****4567");
    }
}
