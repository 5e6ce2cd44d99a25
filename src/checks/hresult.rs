//! Windows error codes that appear in download logs, explained in words. A timeout and a name
//! that did not resolve call for different fixes, and nobody remembers 0x80072EE7 at 2 a.m.

/// `(code, symbolic name, what it means)`; codes as HRESULTs (`0x8007` + Win32 code).
const CODES: &[(u32, &str, &str)] = &[
    (0x8007_2EE2, "ERROR_WINHTTP_TIMEOUT", "the request timed out"),
    (
        0x8007_2EE7,
        "ERROR_WINHTTP_NAME_NOT_RESOLVED",
        "the server name did not resolve (DNS)",
    ),
    (
        0x8007_2EFD,
        "ERROR_WINHTTP_CANNOT_CONNECT",
        "the connection to the server failed",
    ),
    (
        0x8007_2EFE,
        "ERROR_WINHTTP_CONNECTION_ERROR",
        "the connection was reset, or the TLS protocol did not match",
    ),
    (
        0x8007_2F8F,
        "ERROR_WINHTTP_SECURE_FAILURE",
        "the server's TLS certificate was rejected",
    ),
    (
        0x8007_2F7D,
        "ERROR_WINHTTP_SECURE_CHANNEL_ERROR",
        "the TLS secure channel failed",
    ),
    (
        0x8007_2F0D,
        "ERROR_WINHTTP_SECURE_INVALID_CA",
        "the certificate chain ends in an untrusted root",
    ),
    (
        0x8007_2F06,
        "ERROR_WINHTTP_SECURE_CERT_CN_INVALID",
        "the certificate name does not match the host",
    ),
    (
        0x8007_2F05,
        "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID",
        "the certificate has expired or is not yet valid",
    ),
    (
        0x8007_2F19,
        "ERROR_WINHTTP_SECURE_CERT_REV_FAILED",
        "the certificate revocation server could not be reached",
    ),
    (
        0x8007_2F8A,
        "ERROR_WINHTTP_SECURE_CERT_REVOKED",
        "the certificate was revoked",
    ),
    (
        0x8007_2F78,
        "ERROR_WINHTTP_INVALID_SERVER_RESPONSE",
        "the server response could not be parsed",
    ),
    (0x8007_2F7C, "ERROR_WINHTTP_REDIRECT_FAILED", "a redirect failed"),
    (
        0x8007_2F0C,
        "ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED",
        "the server asked for a client certificate",
    ),
    (
        0x8007_2F94,
        "ERROR_WINHTTP_AUTODETECTION_FAILED",
        "the proxy auto-configuration (PAC) URL was not found",
    ),
    (
        0x8007_2F87,
        "ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT",
        "the proxy auto-configuration (PAC) file did not download",
    ),
    (0x8007_0002, "ERROR_FILE_NOT_FOUND", "a file was not found"),
    (0x8000_4005, "E_FAIL", "an unspecified failure"),
    (
        0x8000_4003,
        "E_POINTER",
        "an invalid pointer (what the call needed was not there)",
    ),
    (0x8007_0003, "ERROR_PATH_NOT_FOUND", "the path was not found"),
    (0x8007_0057, "E_INVALIDARG", "an argument was not valid"),
    (
        0x8013_1509,
        "COR_E_INVALIDOPERATION",
        "a .NET web request failed (often TLS 1.2 not enabled for .NET)",
    ),
];

/// `0x80072ee2` -> `0x80072EE2 (ERROR_WINHTTP_TIMEOUT: the request timed out)`. Accepts hex
/// with or without `0x` and negative decimals as .NET prints them (`-2146233079`); an unknown
/// code is returned as it was given, so a message never loses the original text.
pub fn explain(code: &str) -> String {
    let trimmed = code.trim();
    let parsed = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .or_else(|| trimmed.parse::<i32>().ok().map(i32::cast_unsigned));
    match parsed.and_then(|value| CODES.iter().find(|(c, _, _)| *c == value).map(|e| (value, e))) {
        Some((value, (_, name, meaning))) => format!("0x{value:08X} ({name}: {meaning})"),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn explains_known_codes_in_any_notation() {
        assert_eq!(
            explain("0x80072EE7"),
            "0x80072EE7 (ERROR_WINHTTP_NAME_NOT_RESOLVED: the server name did not resolve (DNS))"
        );
        assert!(explain("0x80072ee2").contains("timed out"));
        assert!(explain("-2146233079").starts_with("0x80131509 (COR_E_INVALIDOPERATION"));
        assert!(explain("-2147467261").starts_with("0x80004003 (E_POINTER"));
    }

    #[test]
    fn keeps_unknown_codes_verbatim() {
        assert_eq!(explain("0x12345678"), "0x12345678");
        assert_eq!(explain("oops"), "oops");
    }
}
