//! The part of SARIF 2.1.0 sitelint writes, as types: a misspelt property or a value of the
//! wrong shape is a compile error here, not an upload GitHub rejects. Modelled on
//! cargo-deny's `sarif/model.rs`.
//!
//! The fields of each type are declared in alphabetical order of their JSON names: that is
//! the order the reports had when they were built as `serde_json` values (whose maps sort
//! their keys), so the typed reports are the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;

/// The log: its runs are serialized one at a time, as the iterator yields them (see
/// [`Runs`]).
#[derive(Serialize)]
pub struct Log<R: Serialize> {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub runs: R,
    pub version: &'static str,
}

/// Runs built as they are serialized, each written and dropped before the next is built: the
/// runs of a thousand snapshots are never in memory at once.
pub struct Runs<I>(pub std::cell::RefCell<Option<I>>);

impl<'a, I: Iterator<Item = Run<'a>>> Serialize for Runs<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let runs = self
            .0
            .borrow_mut()
            .take()
            .ok_or_else(|| serde::ser::Error::custom("the runs of a SARIF log are serialized once"))?;
        serializer.collect_seq(runs)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automation_details: Option<AutomationDetails>,
    pub column_kind: &'static str,
    pub invocations: [Invocation; 1],
    pub original_uri_base_ids: BTreeMap<&'static str, UriBase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<RunProperties<'a>>,
    pub results: Vec<SarifResult>,
    pub tool: Tool,
}

/// The category GitHub keeps a run's alerts under.
#[derive(Serialize)]
pub struct AutomationDetails {
    pub id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<InvocationProperties>,
    pub tool_execution_notifications: Vec<Notification>,
    pub working_directory: Uri,
}

/// The invocation's property bag: the site config the run read.
#[derive(Serialize)]
pub struct InvocationProperties {
    pub config: ArtifactLocation,
}

/// The run's property bag: the snapshot checked.
#[derive(Serialize)]
pub struct RunProperties<'a> {
    pub snapshot: SnapshotProperties<'a>,
}

#[derive(Serialize)]
pub struct SnapshotProperties<'a> {
    pub collected_at: Option<&'a str>,
    pub host: Option<&'a str>,
    #[serde(serialize_with = "crate::files::serialize_slash_path_opt")]
    pub path: &'a Option<String>,
}

#[derive(Serialize)]
pub struct Uri {
    pub uri: String,
}

/// A base that relative artifact URIs name (`%SRCROOT%`, `SNAPSHOT`).
#[derive(Serialize)]
pub struct UriBase {
    pub description: Message,
    pub uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u64>,
}

#[derive(Serialize)]
pub struct Message {
    pub text: String,
}

#[derive(Serialize)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub information_uri: &'static str,
    pub name: &'static str,
    pub notifications: Vec<ReportingDescriptor>,
    pub rules: Vec<ReportingDescriptor>,
    pub semantic_version: &'static str,
    pub version: &'static str,
}

/// A rule, or a kind of notification.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_configuration: Option<Configuration>,
    pub full_description: Message,
    pub help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<RuleProperties>,
    pub short_description: Message,
}

#[derive(Serialize)]
pub struct Configuration {
    pub enabled: bool,
    pub level: &'static str,
}

#[derive(Serialize)]
pub struct Help {
    pub markdown: String,
    pub text: String,
}

#[derive(Serialize)]
pub struct RuleProperties {
    pub kind: &'static str,
    pub tags: Vec<String>,
}

/// A rule and its index in the driver's rules.
#[derive(Serialize)]
pub struct RuleReference {
    pub id: String,
    pub index: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associated_rule: Option<RuleReference>,
    pub descriptor: DescriptorReference,
    pub level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locations: Option<[Location; 1]>,
    pub message: Message,
}

#[derive(Serialize)]
pub struct DescriptorReference {
    pub id: &'static str,
}

/// A SARIF result (named so beside Rust's `Result`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<&'static str>,
    /// `pass` for a problem fixed since the baseline; a failure's kind is SARIF's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub level: &'static str,
    pub locations: [Location; 1],
    pub message: Message,
    pub partial_fingerprints: PartialFingerprints,
    pub properties: ResultProperties,
    pub rule_id: String,
    pub rule_index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressions: Option<[Suppression; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialFingerprints {
    pub primary_location_line_hash: String,
    #[serde(rename = "sitelint/v1")]
    pub sitelint_v1: String,
}

#[derive(Serialize)]
pub struct ResultProperties {
    pub subject: String,
}

#[derive(Serialize)]
pub struct Suppression {
    pub justification: String,
    pub kind: &'static str,
    pub location: Location,
    pub properties: SuppressionProperties,
    pub status: &'static str,
}

#[derive(Serialize)]
pub struct SuppressionProperties {
    pub expires: String,
    pub owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}
