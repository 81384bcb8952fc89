//! Work-order photos as evidence (P3): the type is read from the bytes, not
//! the file name, the size is capped, and the EXIF capture time is kept.

use crate::Problem;

/// Largest photo accepted (phones shoot 3–6 MB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// `image/jpeg` or `image/png` by content; anything else is refused.
pub fn sniff(bytes: &[u8]) -> Result<&'static str, Problem> {
    if bytes.is_empty() {
        return Err(Problem::new(
            "photo_empty",
            "照片是空文件",
            "the photo is empty",
        ));
    }
    if bytes.len() > MAX_BYTES {
        return Err(Problem::new(
            "photo_too_large",
            format!(
                "照片最大 10 MB（这张 {:.1} MB）",
                bytes.len() as f64 / 1_048_576.0
            ),
            format!(
                "photos are at most 10 MB (this one is {:.1} MB)",
                bytes.len() as f64 / 1_048_576.0
            ),
        ));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok("image/jpeg");
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Ok("image/png");
    }
    let what = if bytes.starts_with(b"%PDF") {
        "PDF"
    } else {
        "未知格式"
    };
    Err(Problem::new(
        "photo_type",
        format!("只接受 JPEG 或 PNG 照片（这个文件是 {what}）"),
        "only JPEG or PNG photos are accepted (judged by the content, not the name)",
    ))
}

/// The EXIF capture time (DateTimeOriginal, else DateTime) as ms since the
/// epoch, read as China time when the camera gave no offset.
pub fn taken_at(bytes: &[u8]) -> Option<i64> {
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .ok()?;
    let field = exif
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| exif.get_field(exif::Tag::DateTime, exif::In::PRIMARY))?;
    let exif::Value::Ascii(ref parts) = field.value else {
        return None;
    };
    let text = std::str::from_utf8(parts.first()?).ok()?;
    // "2026:11:28 09:41:07"
    let t = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y:%m:%d %H:%M:%S").ok()?;
    let cst = crate::china_time::CST;
    t.and_local_timezone(cst)
        .single()
        .map(|t| t.timestamp_millis())
}

/// A minimal JPEG carrying an EXIF DateTimeOriginal, for tests and the demo.
pub fn jpeg_with_capture_time(when: &str) -> Vec<u8> {
    let mut tiff = Vec::new();
    // Little-endian TIFF header, IFD0 at offset 8.
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0: one entry, ExifIFDPointer (0x8769) → offset 26.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8769u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes()); // LONG
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    // Exif IFD at 26: DateTimeOriginal (0x9003), ASCII, 20 bytes at offset 44.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x9003u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes()); // ASCII
    tiff.extend_from_slice(&20u32.to_le_bytes());
    tiff.extend_from_slice(&44u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut text = when.as_bytes().to_vec();
    text.resize(19, b' ');
    text.push(0);
    tiff.extend_from_slice(&text);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(
        &u16::try_from(app1.len() + 2)
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(&app1);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(
            sniff(&jpeg_with_capture_time("2026:11:28 09:41:07")),
            Ok("image/jpeg")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n rest"), Ok("image/png"));
        assert_eq!(
            sniff(b"%PDF-1.7 pretending to be photo.jpg")
                .unwrap_err()
                .code,
            "photo_type"
        );
        assert_eq!(sniff(&[]).unwrap_err().code, "photo_empty");
        let mut big = jpeg_with_capture_time("2026:11:28 09:41:07");
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(sniff(&big).unwrap_err().code, "photo_too_large");
    }

    #[test]
    fn the_capture_time_is_read_from_exif() {
        let at = taken_at(&jpeg_with_capture_time("2026:11:28 09:41:07")).expect("exif");
        let expected = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:41:07+08:00").unwrap();
        assert_eq!(at, expected.timestamp_millis());
        assert_eq!(taken_at(b"\x89PNG\r\n\x1a\n"), None);
    }
}
