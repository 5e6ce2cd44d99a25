//! Opening the files sitelint reads. A snapshot may come from anyone, so a part must be a
//! regular file (a FIFO would block a run forever, a device node would feed it without end),
//! and a file read whole must be under its size limit, checked before a byte is read. A path
//! a snapshot records stays inside the snapshot ([`relative_path`], [`stays_inside`]).

use std::borrow::Cow;
use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::Path;

/// The most a file read whole may hold: a source that is not a log or a listing, probe
/// results, a manifest, a rule or config file. Real ones are kilobytes; logs and listings are
/// streamed.
pub const WHOLE_FILE_LIMIT: u64 = 64 << 20;

/// Opens a file to stream it, refusing anything that is not a regular file. Returns the file
/// and its size when opened.
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    // Judged before opening too: opening a FIFO for reading waits for a writer.
    require_regular(&fs::metadata(path)?)?;
    let file = File::open(path)?;
    let meta = file.metadata()?;
    require_regular(&meta)?;
    Ok((file, meta.len()))
}

/// Reads a whole file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let (file, size) = open_regular(path)?;
    if size > limit {
        return Err(too_large(size, limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // A file that grows while it is read stops at the limit all the same.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

fn too_large(size: u64, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "it is {}, more than the {} such a file may have",
            Bytes(size),
            Bytes(limit)
        ),
    )
}

fn require_regular(meta: &Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", kind_of(meta)),
    ))
}

/// What a file that is not a regular file is, in words.
pub fn kind_of(meta: &Metadata) -> &'static str {
    if meta.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let file_type = meta.file_type();
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// A path as reports for machines write it (JSON, SARIF): `/` between components on every
/// platform. On Windows `\` is a separator too; elsewhere it is part of a name and stays.
pub fn slash_path(path: &str) -> Cow<'_, str> {
    if cfg!(windows) && path.contains('\\') {
        Cow::Owned(path.replace('\\', "/"))
    } else {
        Cow::Borrowed(path)
    }
}

/// A path as the platform writes it, for people: `\` on Windows.
pub fn native_path(path: &str) -> Cow<'_, str> {
    if cfg!(windows) && path.contains('/') {
        Cow::Owned(path.replace('/', "\\"))
    } else {
        Cow::Borrowed(path)
    }
}

/// Serializes a path with [`slash_path`].
pub fn serialize_slash_path<S: serde::Serializer>(path: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&slash_path(path))
}

/// Serializes an optional path with [`slash_path`].
pub fn serialize_slash_path_opt<S: serde::Serializer>(path: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => serialize_slash_path(path, serializer),
        None => serializer.serialize_none(),
    }
}

/// For a path that cannot be opened and holds `¥` (U+00A5) or `￥` (U+FFE5) where a separator
/// belongs: the path with the separator, when that one exists. Japanese fonts draw `\` as `¥`,
/// so a path copied from a document or typed on another keyboard holds the real yen sign.
pub fn yen_for_separator(path: &str) -> Option<String> {
    if !path.contains(['¥', '￥']) {
        return None;
    }
    let meant = path.replace(['¥', '￥'], std::path::MAIN_SEPARATOR_STR);
    Path::new(&meant).exists().then(|| {
        format!("did you mean `{meant}`? A yen sign is not a path separator, though Japanese fonts draw `\\` as `¥`")
    })
}

/// A byte count for people: `812 bytes`, `41.3 KiB`, `2.0 GiB`.
#[derive(Debug, Clone, Copy)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
        if self.0 < 1024 {
            return write!(f, "{} bytes", self.0);
        }
        let mut value = self.0 as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        write!(f, "{value:.1} {}", UNITS[unit])
    }
}

/// Normalises a path recorded in a snapshot to `a/b/c`, refusing anything that would leave
/// the directory it is relative to.
pub fn relative_path(text: &str) -> Result<String, &'static str> {
    let text = text.replace('\\', "/");
    let bytes = text.as_bytes();
    let has_drive = bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic();
    if text.starts_with('/') || has_drive {
        return Err("is absolute; paths in a snapshot must be relative to it");
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("points outside the snapshot");
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err("is empty");
    }
    Ok(parts.join("/"))
}

/// Whether `path` really is inside `root` once links are resolved (a relative path can still
/// lead out through a symbolic link). Paths that do not exist yet are judged by their text.
pub fn stays_inside(root: &Path, path: &Path) -> bool {
    match (fs::canonicalize(root), fs::canonicalize(path)) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("allowlist.txt");
        let file = File::create(&path).unwrap();
        // Sparse: no bytes are written, so only a read would cost memory.
        file.set_len(2 << 30).unwrap();
        let err = read_limited(&path, WHOLE_FILE_LIMIT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is 2.0 GiB, more than the 64.0 MiB such a file may have"
        );
        fs::write(&path, b"*.manage.microsoft.com\n").unwrap();
        assert_eq!(
            read_limited(&path, WHOLE_FILE_LIMIT).unwrap(),
            b"*.manage.microsoft.com\n"
        );
    }

    #[test]
    fn a_directory_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = open_regular(dir.path()).unwrap_err();
        assert_eq!(err.to_string(), "it is a directory, not a regular file");
    }

    #[cfg(unix)]
    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ServiceConnectionTool.log");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        assert_eq!(
            open_regular(&fifo).unwrap_err().to_string(),
            "it is a FIFO, not a regular file"
        );
        assert_eq!(
            read_limited(Path::new("/dev/zero"), WHOLE_FILE_LIMIT)
                .unwrap_err()
                .to_string(),
            "it is a device, not a regular file"
        );
    }

    #[test]
    fn a_yen_sign_where_a_separator_belongs_gets_a_did_you_mean() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("ソフト")).unwrap();
        let root = dir.path().display().to_string();
        for yen in ['¥', '￥'] {
            let typed = format!("{root}{yen}ソフト");
            let hint = yen_for_separator(&typed).unwrap();
            let meant = format!("{root}{}ソフト", std::path::MAIN_SEPARATOR);
            assert!(hint.starts_with(&format!("did you mean `{meant}`?")), "{hint}");
        }
        assert_eq!(yen_for_separator(&format!("{root}¥nothing")), None);
        assert_eq!(yen_for_separator(&root), None);
    }

    #[test]
    fn byte_counts_read_as_people_write_them() {
        assert_eq!(Bytes(812).to_string(), "812 bytes");
        assert_eq!(Bytes(42_291).to_string(), "41.3 KiB");
        assert_eq!(Bytes(6_460_000_000).to_string(), "6.0 GiB");
    }

    #[test]
    fn relative_paths_are_normalised_and_escapes_refused() {
        assert_eq!(
            relative_path(r"3B7D\Redist\.\a.msi"),
            Ok("3B7D/Redist/a.msi".to_owned())
        );
        assert_eq!(relative_path("a/../b"), Ok("b".to_owned()));
        assert!(relative_path("../etc/passwd").is_err());
        assert!(relative_path("a/../../x").is_err());
        assert!(relative_path("/etc/passwd").is_err());
        assert!(relative_path(r"C:\Windows").is_err());
        assert!(relative_path(r"\\server\share").is_err());
    }
}
