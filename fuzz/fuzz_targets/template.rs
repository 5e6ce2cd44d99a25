//! Message templates (`{package} did not download`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitelint::checks::template::Template;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(template) = Template::parse(text) {
        for (name, range) in template.names_with_ranges() {
            let placeholder = &text[range];
            assert!(placeholder.starts_with('{') && placeholder.ends_with('}') && placeholder.contains(name));
        }
        let _ = template.render(|name| (name.len() % 2 == 0).then(|| name.to_uppercase()));
    }
});
