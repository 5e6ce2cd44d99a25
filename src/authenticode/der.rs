//! A minimal DER reader for the parts of PKCS#7 Authenticode reads: one tag-length-value at a
//! time over a borrowed slice, refusing what DER forbids (indefinite lengths, multi-byte tags,
//! lengths past the end), so a crafted signature costs at most one pass over its bytes.

/// Why bytes are not the DER expected, in words for a finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

impl Malformed {
    pub fn new(why: impl Into<String>) -> Self {
        Malformed(why.into())
    }
}

pub type Result<T> = std::result::Result<T, Malformed>;

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const OID: u8 = 0x06;
pub const INTEGER: u8 = 0x02;
pub const OCTET_STRING: u8 = 0x04;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
/// `[0]` constructed, explicit or implicit.
pub const CONTEXT_0: u8 = 0xA0;
/// `[1]` constructed.
pub const CONTEXT_1: u8 = 0xA1;

/// One element: its tag, its whole encoding and its contents.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub raw: &'a [u8],
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The element's contents as a reader of the elements inside it.
    pub fn reader(&self) -> Reader<'a> {
        Reader(self.value)
    }

    /// The contents, checking the tag first.
    pub fn expect(self, tag: u8, what: &str) -> Result<Tlv<'a>> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(Malformed::new(format!(
                "{what}: tag 0x{:02x} where 0x{tag:02x} was expected",
                self.tag
            )))
        }
    }
}

/// Reads the elements of a slice one after the other.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The next element, whatever its tag.
    pub fn any(&mut self, what: &str) -> Result<Tlv<'a>> {
        let bytes = self.0;
        let short = || Malformed::new(format!("{what}: the encoding ends early"));
        let (&tag, rest) = bytes.split_first().ok_or_else(short)?;
        if tag & 0x1F == 0x1F {
            return Err(Malformed::new(format!("{what}: multi-byte tag")));
        }
        let (&first, rest) = rest.split_first().ok_or_else(short)?;
        let (length, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7F);
            // 0x80 is BER's indefinite length; more than four length bytes is more than any
            // signature holds.
            if count == 0 || count > 4 || rest.len() < count {
                return Err(Malformed::new(format!("{what}: bad length")));
            }
            let length = rest[..count].iter().fold(0usize, |n, &b| (n << 8) | usize::from(b));
            (length, &rest[count..])
        };
        if rest.len() < length {
            return Err(short());
        }
        let header = bytes.len() - rest.len();
        let (value, after) = rest.split_at(length);
        self.0 = after;
        Ok(Tlv {
            tag,
            raw: &bytes[..header + length],
            value,
        })
    }

    /// The next element, which must have `tag`.
    pub fn next(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>> {
        self.any(what)?.expect(tag, what)
    }

    /// The next element if it has `tag`; nothing is consumed otherwise.
    pub fn optional(&mut self, tag: u8, what: &str) -> Result<Option<Tlv<'a>>> {
        match self.0.first() {
            Some(&t) if t == tag => self.any(what).map(Some),
            _ => Ok(None),
        }
    }
}

/// Parses a whole slice as one element of `tag`, with nothing after it.
pub fn parse<'a>(bytes: &'a [u8], tag: u8, what: &str) -> Result<Tlv<'a>> {
    let mut reader = Reader(bytes);
    let tlv = reader.next(tag, what)?;
    Ok(tlv)
}

/// An object identifier's encoded contents, written as the bytes DER gives them (the
/// constants below are compared with the contents, so no decoding is needed).
pub type Oid = &'static [u8];

pub mod oid {
    use super::Oid;
    pub const SIGNED_DATA: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
    pub const SPC_INDIRECT_DATA: Oid = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x04];
    pub const MESSAGE_DIGEST: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];
    pub const SIGNING_TIME: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05];
    pub const COUNTER_SIGNATURE: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x06];
    pub const TST_INFO: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x04];
    /// Microsoft's RFC 3161 timestamp, an unsigned attribute of the signer.
    pub const RFC3161_TIMESTAMP: Oid = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x03, 0x03, 0x01];
    /// A further signature nested in the first one's unsigned attributes.
    pub const NESTED_SIGNATURE: Oid = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x04, 0x01];
    pub const SHA1: Oid = &[0x2B, 0x0E, 0x03, 0x02, 0x1A];
    pub const SHA256: Oid = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    pub const SHA384: Oid = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    pub const SHA512: Oid = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
    pub const RSA: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    pub const SHA1_RSA: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05];
    pub const SHA256_RSA: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
    pub const SHA384_RSA: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C];
    pub const SHA512_RSA: Oid = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D];
    pub const EC_PUBLIC_KEY: Oid = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
    pub const ECDSA_SHA256: Oid = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
    pub const ECDSA_SHA384: Oid = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
}

/// Seconds since 1970 of a UTCTime or GeneralizedTime in UTC (`Z`); fractions are dropped.
pub fn time(tlv: &Tlv<'_>) -> Result<i64> {
    let text = std::str::from_utf8(tlv.value).map_err(|_| Malformed::new("time: not text"))?;
    let bad = || Malformed::new(format!("time `{}` not understood", text.escape_debug()));
    let (year, rest) = match tlv.tag {
        UTC_TIME => {
            let yy: i64 = digits(text.get(..2).ok_or_else(bad)?).ok_or_else(bad)?;
            // RFC 5280: two-digit years 50..99 are 19xx.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        GENERALIZED_TIME => (digits(text.get(..4).ok_or_else(bad)?).ok_or_else(bad)?, &text[4..]),
        _ => return Err(bad()),
    };
    if !rest.ends_with('Z') || rest.len() < 11 {
        return Err(bad());
    }
    let field = |at: usize| digits(&rest[at..at + 2]).ok_or_else(bad);
    let (month, day, hour, minute, second) = (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn digits(text: &str) -> Option<i64> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_both_kinds_read_as_seconds_since_1970() {
        let utc = Tlv {
            tag: UTC_TIME,
            raw: &[],
            value: b"110322221304Z",
        };
        assert_eq!(time(&utc), Ok(1_300_831_984));
        let generalized = Tlv {
            tag: GENERALIZED_TIME,
            raw: &[],
            value: b"20360322221304.5Z",
        };
        assert_eq!(time(&generalized), Ok(2_089_836_784));
        let bad = Tlv {
            tag: UTC_TIME,
            raw: &[],
            value: b"1103",
        };
        assert!(time(&bad).is_err());
    }

    #[test]
    fn lengths_past_the_end_and_indefinite_lengths_are_refused() {
        assert!(Reader(&[0x30, 0x05, 0x01]).any("x").is_err());
        assert!(Reader(&[0x30, 0x80, 0x00, 0x00]).any("x").is_err());
        assert!(Reader(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).any("x").is_err());
        let tlv = Reader(&[0x30, 0x81, 0x01, 0x05]).any("x").unwrap();
        assert_eq!((tlv.tag, tlv.value, tlv.raw.len()), (0x30, &[5u8][..], 4));
    }
}
