//! The certificates of a PEM file (a site's own roots, beside its rules).

/// The DER of every `CERTIFICATE` block of `text`, in order; an error names what is wrong.
pub fn certificates(text: &str) -> Result<Vec<Vec<u8>>, String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let end = body.find(END).ok_or("a certificate block has no END line")?;
        let base64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        out.push(decode_base64(&base64).ok_or("a certificate block is not base64")?);
        rest = &body[end + END.len()..];
    }
    if out.is_empty() {
        return Err("no `-----BEGIN CERTIFICATE-----` block".to_owned());
    }
    Ok(out)
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(
            match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            }
            .into(),
        )
    };
    let text = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pem_blocks_decode_to_der() {
        let text = "x\n-----BEGIN CERTIFICATE-----\nTWFu\nTWE=\n-----END CERTIFICATE-----\n";
        assert_eq!(super::certificates(text), Ok(vec![b"ManMa".to_vec()]));
        assert!(super::certificates("nothing").is_err());
        assert!(super::certificates("-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----").is_err());
    }
}
