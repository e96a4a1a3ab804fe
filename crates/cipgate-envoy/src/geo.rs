//! The client's location as a trusted component in front of the filter writes it: Envoy's
//! geoip filter, a CDN. Read strictly: a header the component did not overwrite (two copies,
//! a merged list) or a value that is not a code means the location cannot be trusted.

/// The one value of header `name`, trimmed; an error when it arrived more than once.
pub fn trusted_value(
    name: &str,
    values: &dyn Fn(&str) -> Vec<String>,
) -> Result<Option<String>, String> {
    let mut found = values(name);
    if found.len() > 1 || found.iter().any(|v| v.contains(',')) {
        return Err(format!(
            "header {name} arrived {} times; whatever sets it must replace the copies \
             clients send",
            found.len()
        ));
    }
    Ok(found.pop().map(|v| v.trim().to_owned()))
}

/// The ISO 3166-2 code of a region header's value within the geolocated country: MaxMind
/// (and so Envoy's geoip filter), Cloudflare and CloudFront send the part after the hyphen
/// (`43`), others the whole code (`UA-43`). `None` when the value is neither, or names
/// another country. A well-formed code the tables do not know passes: the policy sees it as
/// an invalid value, which no list can match.
pub fn subdivision_code(country: Option<&str>, region: &str) -> Option<String> {
    let country = country?;
    let part = match region.split_once('-') {
        Some((c, part)) if c == country => part,
        Some(_) => return None,
        None => region,
    };
    let well_formed = (1..=3).contains(&part.len())
        && part
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    well_formed.then(|| format!("{country}-{part}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_are_read_within_the_country() {
        assert_eq!(subdivision_code(Some("UA"), "43").as_deref(), Some("UA-43"));
        assert_eq!(
            subdivision_code(Some("UA"), "UA-43").as_deref(),
            Some("UA-43")
        );
        assert_eq!(subdivision_code(Some("DE"), "BE").as_deref(), Some("DE-BE"));
        // Another country's code, no country, not a code, lower case, too long.
        for (country, region) in [
            (Some("RU"), "UA-43"),
            (None, "43"),
            (Some("UA"), "Crimea"),
            (Some("UA"), "ua-43"),
            (Some("UA"), "be"),
            (Some("UA"), ""),
            (Some("UA"), "UA-"),
        ] {
            assert_eq!(subdivision_code(country, region), None, "{region}");
        }
    }

    #[test]
    fn a_header_sent_twice_is_not_trusted() {
        let twice = |_: &str| vec!["UA".to_string(), "DE".to_string()];
        assert!(trusted_value("x-geo-country", &twice).is_err());
        let merged = |_: &str| vec!["UA, DE".to_string()];
        assert!(trusted_value("x-geo-country", &merged).is_err());
        let once = |_: &str| vec![" UA ".to_string()];
        assert_eq!(
            trusted_value("x-geo-country", &once),
            Ok(Some("UA".to_string()))
        );
        let none = |_: &str| Vec::new();
        assert_eq!(trusted_value("x-geo-country", &none), Ok(None));
    }
}
