//! Text for the Windows API's fixed-size UTF-16 fields. Compiled everywhere, so its tests run
//! on every host.

#![cfg_attr(not(windows), allow(dead_code))]

/// `text` as a NUL-terminated UTF-16 string in `field`, cut to fit (never inside a surrogate
/// pair, and with an ellipsis when cut).
pub(crate) fn fill(field: &mut [u16], text: &str) {
    let room = field.len() - 1;
    let mut units: Vec<u16> = text.encode_utf16().collect();
    if units.len() > room {
        units.truncate(room - 1);
        if units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
            units.pop();
        }
        units.push(0x2026);
    }
    field[..units.len()].copy_from_slice(&units);
    field[units.len()] = 0;
}

#[cfg(test)]
mod tests {
    use super::fill;

    fn read(field: &[u16]) -> String {
        let end = field.iter().position(|&u| u == 0).unwrap_or(field.len());
        String::from_utf16_lossy(&field[..end])
    }

    #[test]
    fn text_that_fits_is_kept_whole() {
        let mut field = [0xFFFF_u16; 64];
        fill(&mut field, "bitbank: メンテナンス");
        assert_eq!(read(&field), "bitbank: メンテナンス");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_and_never_inside_a_surrogate_pair() {
        let mut field = [0_u16; 8];
        fill(&mut field, "abcdefghij");
        assert_eq!(read(&field), "abcdef…");
        let mut field = [0_u16; 8];
        fill(&mut field, "abcde😀xyz");
        assert_eq!(read(&field), "abcde…");
    }
}
