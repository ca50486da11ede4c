//! Which documents are a Secret, a SealedSecret or a list of them. kubeseal decodes
//! every document into its type whatever the document's kind, so a ConfigMap or a
//! `kind: List` is silently misread as an empty Secret; empseal reads what kubectl
//! and the API server print (`kind: List`, `SecretList`, `SealedSecretList`, a
//! document without a kind) and refuses every other kind or apiVersion with a line
//! naming what it found.

use kubeseal_core::manifest::{read_sealed_secrets, read_secrets};

const SECRET: &str = "{apiVersion: v1, kind: Secret, metadata: {name: a}, stringData: {K: v}}";
const SEALED: &str = "{apiVersion: bitnami.com/v1alpha1, kind: SealedSecret, metadata: {name: a}, spec: {encryptedData: {K: AgA=}}}";

/// A document with `head` (the kind/apiVersion fields) and `rest`.
fn doc(head: &str, rest: &str) -> String {
    format!("{head}\n{rest}")
}

fn list(head: &str, item: &str) -> String {
    doc(head, &format!("items:\n- {item}\n- {item}\n"))
}

/// `Ok(objects read)` or `Err(the message)`.
type Outcome = Result<usize, String>;

fn secrets(text: &str) -> Outcome {
    read_secrets("in.yaml", text.as_bytes())
        .map(|v| v.len())
        .map_err(|e| e.to_string())
}

fn sealed(text: &str) -> Outcome {
    read_sealed_secrets("in.yaml", text.as_bytes())
        .map(|v| v.len())
        .map_err(|e| e.to_string())
}

fn check(what: &str, got: Outcome, want: Result<usize, &str>) {
    match (&got, want) {
        (Ok(n), Ok(m)) if *n == m => {}
        (Err(e), Err(text)) if e.contains(text) && e.starts_with("in.yaml:") => {}
        _ => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn secrets_kinds_and_lists() {
    let body = "metadata: {name: a}\nstringData: {K: v}\n";
    let cases: &[(&str, String, Result<usize, &str>)] = &[
        ("a Secret", doc("apiVersion: v1\nkind: Secret", body), Ok(1)),
        ("no apiVersion", doc("kind: Secret", body), Ok(1)),
        ("no kind", doc("apiVersion: v1", body), Ok(1)),
        ("neither", doc("", body), Ok(1)),
        (
            "no kind, another apiVersion",
            doc("apiVersion: apps/v1", body),
            Err("an object of apiVersion \"apps/v1\" without a kind, not a Secret"),
        ),
        (
            "a Secret of apiVersion v2",
            doc("apiVersion: v2\nkind: Secret", body),
            Err("Secret with apiVersion \"v2\", expected \"v1\""),
        ),
        (
            "a ConfigMap",
            doc("apiVersion: v1\nkind: ConfigMap", "data: {K: v}\n"),
            Err("the object is a ConfigMap (apiVersion \"v1\"), not a Secret"),
        ),
        // `kubectl get secret -o yaml`, and the API server's own list type.
        (
            "a v1 List",
            list("apiVersion: v1\nkind: List", SECRET),
            Ok(2),
        ),
        (
            "a List without apiVersion",
            list("kind: List", SECRET),
            Ok(2),
        ),
        (
            "a SecretList",
            list("apiVersion: v1\nkind: SecretList", SECRET),
            Ok(2),
        ),
        (
            "a List of another group",
            list("apiVersion: apps/v1\nkind: List", SECRET),
            Err("the object is a List (apiVersion \"apps/v1\"), not a Secret"),
        ),
        (
            "a List with null items",
            doc("apiVersion: v1\nkind: List", "items: null\n"),
            Ok(0),
        ),
        (
            "a List without items",
            doc("apiVersion: v1\nkind: List", ""),
            Ok(0),
        ),
        (
            "a List with items that are no list",
            doc("apiVersion: v1\nkind: List", "items: 5\n"),
            Err("items of the List is not a sequence"),
        ),
        (
            "a List holding a ConfigMap",
            list(
                "apiVersion: v1\nkind: List",
                "{apiVersion: v1, kind: ConfigMap}",
            ),
            Err("document 1, item 1: the object is a ConfigMap"),
        ),
        (
            "a List in a List",
            list(
                "apiVersion: v1\nkind: List",
                "{apiVersion: v1, kind: List, items: []}",
            ),
            Err("a List inside a List"),
        ),
    ];
    for (what, text, want) in cases {
        check(what, secrets(text), *want);
    }
}

#[test]
fn sealed_secrets_kinds_and_lists() {
    let body = "metadata: {name: a}\nspec: {encryptedData: {K: AgA=}}\n";
    let group = "apiVersion: bitnami.com/v1alpha1";
    let cases: &[(&str, String, Result<usize, &str>)] = &[
        (
            "a SealedSecret",
            doc(&format!("{group}\nkind: SealedSecret"), body),
            Ok(1),
        ),
        ("no kind", doc(group, body), Ok(1)),
        (
            "no kind, apiVersion v1",
            doc("apiVersion: v1", body),
            Err("an object of apiVersion \"v1\" without a kind, not a SealedSecret"),
        ),
        (
            "another version of the group",
            doc("apiVersion: bitnami.com/v1\nkind: SealedSecret", body),
            Err("SealedSecret with apiVersion \"bitnami.com/v1\", expected \"bitnami.com/v1alpha1\""),
        ),
        (
            "a Secret",
            doc("apiVersion: v1\nkind: Secret", "stringData: {K: v}\n"),
            Err("the object is a Secret (apiVersion \"v1\"), not a SealedSecret"),
        ),
        // `kubectl get sealedsecrets -o yaml` prints a v1 List; the API server a
        // SealedSecretList of the group.
        ("a v1 List", list("apiVersion: v1\nkind: List", SEALED), Ok(2)),
        (
            "a SealedSecretList",
            list(&format!("{group}\nkind: SealedSecretList"), SEALED),
            Ok(2),
        ),
        (
            "a SealedSecretList of another group",
            list("apiVersion: example.com/v1\nkind: SealedSecretList", SEALED),
            Err("the object is a SealedSecretList (apiVersion \"example.com/v1\")"),
        ),
    ];
    for (what, text, want) in cases {
        check(what, sealed(text), *want);
    }
}

/// A kind or apiVersion is quoted in the message up to 60 characters, then cut
/// with an ellipsis: the line stays one readable line whatever the file holds.
#[test]
fn long_kinds_are_cut_in_the_message() {
    let long = "K".repeat(61);
    let e = secrets(&doc(&format!("apiVersion: v1\nkind: {long}"), "")).unwrap_err();
    assert!(
        e.contains(&format!(
            "the object is a {}… (apiVersion \"v1\")",
            &long[..60]
        )),
        "{e}"
    );
    let exact = "K".repeat(60);
    let e = secrets(&doc(&format!("apiVersion: v1\nkind: {exact}"), "")).unwrap_err();
    assert!(
        e.contains(&format!("the object is a {exact} (apiVersion")),
        "{e}"
    );
    let api = format!("example.com/{}", "v".repeat(70));
    let e = secrets(&doc(&format!("apiVersion: {api}\nkind: Secret"), "")).unwrap_err();
    assert!(
        e.contains(&format!("Secret with apiVersion \"{}…\"", &api[..60])),
        "{e}"
    );
}
