//! Every short plain scalar over the characters YAML 1.1's resolver cares about,
//! as a key and as a value of a Secret's `stringData`, read by empseal and by
//! kubeseal's decoder (the real Go libraries, `tests/manifest/goref.go`).
//!
//! The generated documents of `manifest_goyaml` draw traps at random; this walks
//! the whole space of short scalars (numbers in every base, `_` separators,
//! exponents, base-60 floats, signs, timestamps' digits and colons), so each
//! rule of the resolver port (`goyaml::resolve`, `goyaml::strconv`,
//! `goyaml::timestamp`) is held to Go's answer. The property, per scalar and
//! position: Go reads the text as written ⇔ empseal reads the same value; Go
//! reads something else ⇒ empseal refuses (kubeseal would seal another key or
//! value); Go fails ⇒ empseal fails.

use kubeseal_core::manifest::read_secrets;
use serde_json::Value as J;

use crate::goref::go_decode;
use empseal_testkit::inputs::all_strings;

/// The scalars: short strings over the resolver's characters, then longer
/// shapes (floats, hex with separators, base 60, timestamps, special floats).
fn scalars() -> Vec<String> {
    let mut out = all_strings("019_.ex+-:", 4);
    out.extend(all_strings("01_.eEx", 5));
    out.extend(
        all_strings("05_:.", 6)
            .into_iter()
            .filter(|s| s.contains(':')),
    );
    for word in [
        ".inf",
        ".Inf",
        ".INF",
        "+.inf",
        "-.inf",
        ".iNf",
        ".nan",
        ".NaN",
        ".NAN",
        ".naN",
        "0x_1F",
        "0x1_F",
        "0x1F_",
        "0b1_0",
        "0o1_7",
        "0_7",
        "-0x1f",
        "+0b11",
        "0xFFFFFFFFFFFFFFFF",
        "0x10000000000000000",
        "18446744073709551615",
        "18446744073709551616",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "1e308",
        "1e309",
        "-1e309",
        "4.9e-324",
        "1e-400",
        "0x1p-2",
        "0x1.8p1",
        "1_0e1_0",
        "3.4028235e38",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2001-12-15T02:59:43.1Z",
        "2002-12-14",
        "2001-1-14",
        "2001-12-1",
        "190:20:30.15",
        "1:20",
        "-1:20",
        "+1:2:3",
        "1:60",
        "1_0:5",
        "1:5.",
        "1:5._",
    ] {
        out.push(word.to_string());
    }
    // Plain scalars only: a leading or trailing space, `- `, `: ` or ` #` would be
    // other YAML; what remains is exactly what the resolver sees.
    out.retain(|s| {
        !s.starts_with(['-', ':', '?'])
            || s.len() > 1 && !s.starts_with("- ") && !s.starts_with(':')
    });
    out.retain(|s| !s.ends_with(':') && !s.contains(": ") && !s.starts_with(':'));
    out.sort();
    out.dedup();
    out
}

/// A Secret key as the API server's validation (`IsConfigMapKey`) takes it:
/// letters, digits, `-`, `_`, `.`; not `.`, nor starting with `..`. Written here
/// from the rule, not from our code.
fn valid_secret_key(k: &str) -> bool {
    k != "."
        && !k.starts_with("..")
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn doc(key: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\nstringData:\n  {key}: {value}\n"
    )
}

/// `stringData` as Go read it, when every value is a string.
fn go_string_data(g: &J) -> Option<Vec<(String, String)>> {
    g["stringData"]
        .as_object()?
        .iter()
        .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

#[test]
fn every_short_plain_scalar_reads_as_go_yaml_v2_or_is_refused() {
    let scalars = scalars();
    assert!(scalars.len() > 30_000, "{}", scalars.len());
    // Each scalar as the key (value `v`) and as the value (key `k`).
    let cases: Vec<(String, String)> = scalars
        .iter()
        .flat_map(|s| [(s.clone(), "v".to_string()), ("k".to_string(), s.clone())])
        .collect();
    let docs: Vec<(String, bool)> = cases.iter().map(|(k, v)| (doc(k, v), false)).collect();
    let go = go_decode(&docs);
    let (mut same, mut refused, mut both_failed, mut invalid_keys) = (0, 0, 0, 0);
    for ((key, value), (go, (text, _))) in cases.iter().zip(go.iter().zip(&docs)) {
        let ours = read_secrets("scalar.yaml", text.as_bytes());
        if !valid_secret_key(key) {
            // The API server refuses the key whatever Go reads; so do we.
            assert!(ours.is_err(), "{key:?}: an invalid Secret key was accepted");
            invalid_keys += 1;
            continue;
        }
        let as_written = vec![(key.clone(), value.clone())];
        match (go, ours) {
            (Err(_), Err(_)) => both_failed += 1,
            (Err(e), Ok(_)) => panic!("{key:?}: {value:?}: Go fails ({e}), we read it"),
            (Ok(g), ours) if go_string_data(g).as_ref() == Some(&as_written) => {
                let s = ours
                    .unwrap_or_else(|e| {
                        panic!("{key:?}: {value:?}: Go reads it as written, we refuse: {e}")
                    })
                    .remove(0);
                let got: Vec<(String, String)> = s
                    .string_data
                    .iter()
                    .map(|(k, v)| (k.clone(), String::from_utf8(v.to_vec()).unwrap()))
                    .collect();
                assert_eq!(got, as_written, "{key:?}: {value:?}");
                same += 1;
            }
            (Ok(g), Ok(_)) => panic!(
                "{key:?}: {value:?}: Go reads {} (kubeseal would seal that), we accepted",
                g["stringData"]
            ),
            (Ok(_), Err(_)) => refused += 1,
        }
    }
    eprintln!(
        "as written: {same}, refused misreads: {refused}, both failed: {both_failed}, invalid keys: {invalid_keys}"
    );
    assert!(
        same > 10_000 && refused > 1_000,
        "{same} {refused} {both_failed}"
    );
}
