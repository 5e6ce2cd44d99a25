//! The live sources of a run, merged from the site config's `sources:` and the source flags,
//! each with where it was named; every source merges its own by `SOURCES`.

use super::SourceArgs;
use super::settings::Origin;
use crate::document::diag::SetupError;
use crate::site_config::SiteConfig;
use crate::snapshot::live::LiveSources;
use crate::sources::SOURCES;

/// The live sources of a run: those of the site config's `sources:`, then the source flags,
/// each flag adding a source or replacing the one named alike (each source's `merge` says
/// what is alike: a log by its name, a file source by its kind), so `--log X` does not drop
/// the rest of the site's sources. Each with where it was named, under the key `sitelint
/// config` shows it by.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    pub(crate) live: LiveSources,
    /// Each key a source named (`sources.logs.NAME`, ...) with its origin (`sitelint.yaml:9`,
    /// `--log`).
    origins: Vec<(String, Origin)>,
}

impl Sources {
    pub(crate) fn merge(flags: &SourceArgs, config: Option<&SiteConfig>) -> Result<Sources, SetupError> {
        let mut sources = Sources::default();
        if let Some((config, set)) = config.and_then(|c| Some((c, c.sources.as_ref()?))) {
            sources.add(&set.value, &Origin::Config(config.origin(set.line)));
        }
        // One flag's value at a time, so each key's origin is the flag that named it last.
        for (source, flag, given) in flags.taken()? {
            let mut named = LiveSources::default();
            source.take(given, &mut named);
            sources.add(&named, &Origin::Flag(flag.long));
        }
        Ok(sources)
    }

    fn add(&mut self, given: &LiveSources, origin: &Origin) {
        for source in SOURCES {
            for named in source.merge(given, &mut self.live) {
                if let Some(replaced) = named.replaces {
                    self.origins.retain(|(key, _)| *key != replaced);
                }
                self.set_origin(&named.key, origin);
            }
        }
    }

    fn set_origin(&mut self, key: &str, origin: &Origin) {
        match self.origins.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => origin.clone_into(&mut entry.1),
            None => self.origins.push((key.to_owned(), origin.clone())),
        }
    }

    /// Where the source under `key` was named.
    pub(crate) fn origin(&self, key: &str) -> Option<&Origin> {
        self.origins.iter().find(|(k, _)| k == key).map(|(_, o)| o)
    }
}
