//! The API server's check of docker config Secrets is Go's
//! `json.Unmarshal(value, &map[string]interface{}{})`; `validate_secret` must
//! accept and refuse exactly what Go does, on input where Go and serde_json
//! disagree (nesting depth, invalid UTF-8, lone surrogates) and the usual traps.
//! Every case goes through `tests/goref`'s `unmarshal` op.

use base64::Engine as _;
use empseal_testkit::goref::goref;
use kubeseal_core::secret::validate::{DOCKERCFG, DOCKER_CONFIG_JSON};
use kubeseal_core::secret::{validate_secret, Secret, SecretOrigin, SecretTypeError};
use zeroize::Zeroizing;

fn cases() -> Vec<(String, Vec<u8>)> {
    let nested = |n: usize| format!("{{\"auths\":{}{}}}", "[".repeat(n), "]".repeat(n));
    let mut cases: Vec<(String, Vec<u8>)> = [
        &b"null"[..],
        b" null\r\n",
        b"[]",
        b"\"x\"",
        b"5",
        b"true",
        b"{}",
        b"{\"auths\":null}",
        b"{\"auths\":[]}",
        b"{\"auths\":\"x\"}",
        b"{\"auths\":{\"r\":{\"auth\":5}}}",
        b"{\"auths\":{\"r\":{\"auth\":\"ZW1wOng=\"}}}",
        b"{\"auths\":{},\"auths\":{},\"x\":1}",
        b"{\"auths\":{\"r\":{\"auth\":\"a\"},\"r\":{\"auth\":\"b\"}}}",
        b"{\"unknown\":{\"deep\":[1,2,{\"x\":null}]}}",
        b"{} x",
        b"{}}",
        b"{}{}",
        b"5 x",
        b"\xEF\xBB\xBF{}",
        b"",
        b"   ",
        b"{",
        b"{\"auths\":",
        b"-",
        b"tru",
        b"1.",
        b"1e",
        b"{\"a\":01}",
        b"{\"a\":1,}",
        b"[1,]",
        b"{,}",
        b"{\"a\" 1}",
        b"{'a':1}",
        b"{\"a\":nul}",
        b"{\"a\":fals}",
        b"{\"a\":\"\t\"}",
        b"{\"a\":\"\x00\"}",
        b"{\"a\":\"\\x\"}",
        b"{\"a\":\"\\u00zz\"}",
        b"{\"a\":\"\\ud800\"}",
        b"{\"\\udc00\\ud800\":\"\\uDFFF\"}",
        b"{\"auths\":{\"r\":{\"auth\":\"\xff\xfe\"}}}",
        b"{\"a\":\"\xC0\xAF\xED\xA0\x80\"}",
        b"{\xff:1}",
        b"\xff",
        b"{\"a\":1}\x85",
        b"{\"a\":1}\xA0",
        b"{\"a\":1}\x7f",
        b"{\"a\":1}\x01",
        b"{\"a\":1}\x0b",
        b"{\"a\":1e400}",
        b"{\"a\":[-1e400]}",
        b"{\"a\":1e-400}",
        b"{\"a\":1.7976931348623157e308}",
        b"{\"a\":1.7976931348623158e308}",
        b"{\"a\":1.7976931348623159e308}",
        b"{\"a\":179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531306010168213227369270758157700000000000000000000000000000000000000000000000000000000000000000000000000000000000}",
        b"{\"a\":123456789012345678901234567890}",
        b"{\"a\":-0.0e-0}",
        b"{\"1e400\":\"1e400\"}",
    ]
    .iter()
    .map(|c| (String::from_utf8_lossy(c).into_owned(), c.to_vec()))
    .collect();
    for n in [127, 128, 200, 9_999, 10_000] {
        cases.push((format!("{n} nested arrays"), nested(n).into_bytes()));
    }
    cases
}

fn ours(type_: &str, key: &str, value: &[u8]) -> Result<(), SecretTypeError> {
    let secret = Secret {
        type_: Some(type_.to_string()),
        data: [(key.to_string(), Zeroizing::new(value.to_vec()))].into(),
        ..Secret::default()
    };
    validate_secret(&secret, &SecretOrigin::default())
}

#[test]
fn docker_config_values_are_judged_as_go_s_unmarshal() {
    let cases = cases();
    let requests: Vec<String> = cases
        .iter()
        .map(|(_, v)| {
            serde_json::json!({
                "op": "unmarshal",
                "obj": base64::engine::general_purpose::STANDARD.encode(v),
            })
            .to_string()
        })
        .collect();
    let answers = goref().batch(&requests);
    let mut failures = Vec::new();
    let mut kubelet_stricter = Vec::new();
    for ((what, value), answer) in cases.iter().zip(answers) {
        let go = answer.unmarshal.expect("an unmarshal answer");
        for (type_, key) in [
            (DOCKER_CONFIG_JSON, ".dockerconfigjson"),
            (DOCKERCFG, ".dockercfg"),
        ] {
            match (ours(type_, key, value), &go.map) {
                (Ok(()), None) => {}
                (Err(SecretTypeError::NotAJsonObject { go_error, .. }), Some(g))
                    if go_error == *g => {}
                // Go's number-range error names the number; ours does not (it may be secret).
                (Err(SecretTypeError::NotAJsonObject { go_error, .. }), Some(g))
                    if go_error.contains("cannot unmarshal number")
                        && g.starts_with("json: cannot unmarshal number ") => {}
                (got, want) => failures.push(format!(
                    "{what:?} as {type_}: Go says {want:?}, we say {got:?}"
                )),
            }
        }
        if go.map.is_none() && go.dockerconfigjson.is_some() {
            kubelet_stricter.push(what.clone());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The API server does not look inside the object; the kubelet's types do.
    for inside in ["{\"auths\":[]}", "{\"auths\":{\"r\":{\"auth\":5}}}"] {
        assert!(
            kubelet_stricter.iter().any(|w| w == inside),
            "{inside} should pass the API server but not the kubelet's DockerConfigJSON: {kubelet_stricter:?}"
        );
    }
}
