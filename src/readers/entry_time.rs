//! When a log entry was written, as its writer stamped it, in seconds since 1970 (UTC), so
//! that a rule can judge an entry's age (`recent-log-event`).
//!
//! ConfigMgr writes local time with the bias Windows gives it (minutes to add to local time to
//! get UTC: `+300` in New York, `-540` in Tokyo), in two layouts:
//! - CMTrace: `<![LOG[...]LOG]!><time="HH:MM:SS.mmm+bias" date="MM-DD-YYYY" component=...>`;
//! - the legacy suffix: `...  $$<Component><MM-DD-YYYY HH:MM:SS.mmm+bias><thread=...>`.
//!
//! A time without a bias is taken as UTC: the age is then off by the machine's offset at
//! most, which the reports say nothing about, so such a log is rare enough to accept.

use std::sync::LazyLock;

use regex::Regex;

/// CMTrace's attributes, in either order, the bias with or without a space before it.
static CMTRACE_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"time="(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?\s*([+-]\d+)?""#).expect("valid"));
static CMTRACE_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"date="(\d{1,2})-(\d{1,2})-(\d{4})""#).expect("valid"));
/// The legacy suffix's date and time.
static LEGACY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\$<[^>]*><(\d{1,2})-(\d{1,2})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?\s*([+-]\d+)?>")
        .expect("valid")
});
/// RFC 3339 as `collected_at` is written: `2024-12-17T20:12:00Z`, `...+09:00`.
static RFC3339: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$")
        .expect("valid")
});

/// The UTC time of an entry's text, from its CMTrace attributes or its legacy suffix.
pub fn of_entry(text: &str) -> Option<i64> {
    if let (Some(time), Some(date)) = (CMTRACE_TIME.captures(text), CMTRACE_DATE.captures(text)) {
        let local = seconds(
            number(&date[3])?,
            number(&date[1])?,
            number(&date[2])?,
            [number(&time[1])?, number(&time[2])?, number(&time[3])?],
        )?;
        return Some(local + bias(time.get(4).map(|m| m.as_str())));
    }
    let legacy = LEGACY.captures_iter(text).last()?;
    let local = seconds(
        number(&legacy[3])?,
        number(&legacy[1])?,
        number(&legacy[2])?,
        [number(&legacy[4])?, number(&legacy[5])?, number(&legacy[6])?],
    )?;
    Some(local + bias(legacy.get(7).map(|m| m.as_str())))
}

/// The UTC time of an RFC 3339 timestamp (`collected_at`).
pub fn of_rfc3339(text: &str) -> Option<i64> {
    let c = RFC3339.captures(text.trim())?;
    let local = seconds(
        number(&c[1])?,
        number(&c[2])?,
        number(&c[3])?,
        [number(&c[4])?, number(&c[5])?, number(&c[6])?],
    )?;
    if c.get(7).is_some() {
        return Some(local);
    }
    let offset = (number(&c[9])? * 60 + number(&c[10])?) * 60;
    Some(if &c[8] == "+" { local - offset } else { local + offset })
}

/// Now, in the same seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A time as people read it: `2024-12-17 20:12 UTC`.
pub fn describe(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let date = crate::document::date::Date::from_days(days);
    format!("{date} {:02}:{:02} UTC", of_day / 3600, of_day % 3600 / 60)
}

fn number(text: &str) -> Option<i64> {
    text.parse().ok()
}

/// Minutes to add to local time for UTC; none is taken as 0.
fn bias(text: Option<&str>) -> i64 {
    text.and_then(|b| b.trim().parse::<i64>().ok())
        // A bias is at most a day; anything else is not one.
        .filter(|b| b.abs() <= 24 * 60)
        .map_or(0, |b| b * 60)
}

/// Seconds since 1970 of a civil date and time, `None` for one that does not exist.
fn seconds(year: i64, month: i64, day: i64, [hour, minute, second]: [i64; 3]) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second);
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_read_as_utc_with_their_bias() {
        let utc = of_rfc3339("2024-12-17T20:12:00Z").unwrap();
        assert_eq!(utc, 1_734_466_320);
        // 15:12 in New York (bias +300) is 20:12 UTC.
        let legacy = "Backup completed  $$<SMS_SITE_BACKUP><12-17-2024 15:12:00.123+300><thread=4116 (0x1014)>";
        assert_eq!(of_entry(legacy), Some(utc));
        let cmtrace = r#"<![LOG[Backup completed]LOG]!><time="05:12:00.123-540" date="12-18-2024" component="SMS_SITE_BACKUP" context="" type="1" thread="4116" file="">"#;
        assert_eq!(of_entry(cmtrace), Some(utc));
        assert_eq!(of_rfc3339("2024-12-18T05:12:00+09:00"), Some(utc));
        assert_eq!(describe(utc), "2024-12-17 20:12 UTC");
    }

    #[test]
    fn text_without_a_time_or_with_an_impossible_one_has_none() {
        assert_eq!(of_entry("Backup completed"), None);
        assert_eq!(of_entry("x  $$<C><13-45-2024 10:00:00.000+0><thread=1>"), None);
        assert_eq!(of_rfc3339("yesterday"), None);
    }
}
