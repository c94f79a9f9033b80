//! Every fixture of `tests/fixtures/env`, every value the encoder writes
//! (tricky ones, seeded random ones, the whole catalog generated), read by
//! the real readers: dotenvy, python-dotenv, docker-compose
//! v1 (Debian's 1.29), npm `dotenv` (18, and 16), dotenvx, and `docker run
//! --env-file` on a private engine. Wherever the dialect model (SC011, and
//! the encoder's choice of quoting) says a reader agrees with Compose, that
//! reader must read exactly Compose's value: each disagreement is either
//! flagged or asserted equal. Compose itself is the document parser.
//!
//! A reader that refuses a whole file (the docker CLI on an `export` line)
//! is asked again one assignment at a time; dotenvy's errors end one line,
//! not the file, as its iterator reads them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rand::{Rng, SeedableRng};
use secrets_core::check::{disagreeing_readers, runs_on};
use secrets_core::envfile::{Document, Entry, Reader};
use secrets_core::SecretValue;
use secrets_tests::docker::{Engine, IMAGE};
use secrets_tests::{
    have_program, node, python, repo_root, require, require_node_readers, require_python,
    write_catalogs, DOTENV,
};

/// One assignment a reader must read as Compose does unless `model` names it.
struct Expect {
    key: String,
    value: String,
    model: Vec<Reader>,
    /// Readers the model says may misread the lines after it, too.
    runs_on: Vec<Reader>,
    /// The assignment's own text, for readers that refuse the whole file.
    raw: String,
}

impl Expect {
    /// What the model says of an assignment as written.
    fn of(e: &Entry, raw: &str) -> Expect {
        Expect {
            key: e.key().to_owned(),
            value: e.value().expose().to_owned(),
            model: disagreeing_readers(e, raw),
            runs_on: runs_on(e, raw),
            raw: raw.to_owned(),
        }
    }
}

/// A file of the corpus and what each of its assignments means.
struct CorpusFile {
    path: PathBuf,
    expects: Vec<Expect>,
}

/// What one reader read from one file: key to value (`None`: no value, as
/// python-dotenv reads a bare key); `Err` when it refused the file.
type Read = Result<BTreeMap<String, Option<String>>, String>;

/// The fixtures, with the model's verdict on each key assigned once (a
/// duplicated key is SC013's business).
fn fixtures() -> Vec<CorpusFile> {
    let dir = repo_root().join("tests/fixtures/env");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let doc = Document::parse(&fs::read(&path).unwrap()).unwrap();
            corpus_file(path, &doc)
        })
        .collect()
}

/// `doc`, written at `path`, with the model's verdict on each key assigned
/// once.
fn corpus_file(path: PathBuf, doc: &Document) -> CorpusFile {
    let expects = doc
        .entries_with_raw()
        .filter(|(_, e, _)| doc.duplicate(e.key()).is_none())
        .map(|(_, e, raw)| Expect::of(e, raw))
        .collect();
    CorpusFile { path, expects }
}

/// Values that trip some reader, then random ones from a fixed seed.
fn values() -> Vec<String> {
    let mut v: Vec<String> = [
        "plain",
        "a b",
        r#"{"k":"v w"}"#,
        "it's",
        r#"it's "x""#,
        r"back\slash\n",
        "x\ny",
        "pa$$word",
        "a${B}c",
        "a$b${c}d",
        "it's $5",
        "#lead",
        "tail ",
        " lead",
        "a#b",
        "a #b",
        "tab\there",
        "cr\rhere",
        "ends\\",
        "`tick`",
        "é日",
        "q\"uote",
        r"a\'b",
        r"\$x",
        "",
        "=",
        "a=b",
        "$",
        "}",
        r"\n",
        r"\\",
        "'",
        "\"",
        "a'b\"c$d\\e#f g",
        "~/x",
        "Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA",
        "9bK1-9x0wPOD4B6WoSZB0ukz8ejGMpuj_xvG0jC3gFs=",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let pool: Vec<char> = (' '..='~')
        .chain("$$$\\\\''\"\"## \n\t\ré日".chars())
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(14);
    for _ in 0..240 {
        let len = rng.random_range(0..16);
        v.push(
            (0..len)
                .map(|_| pool[rng.random_range(0..pool.len())])
                .collect(),
        );
    }
    v
}

/// The values written by the library (`Document::push`, which quotes with
/// `encode`) into files of 40, in `dir`; what `push` reported must be what
/// the model says of the written line.
fn encoded(dir: &Path) -> Vec<CorpusFile> {
    values()
        .chunks(40)
        .enumerate()
        .map(|(n, chunk)| {
            let mut doc = Document::new();
            let mut reported = Vec::new();
            for (i, v) in chunk.iter().enumerate() {
                reported.push(
                    doc.push(&format!("K{i}"), &SecretValue::new(v.clone()))
                        .unwrap(),
                );
            }
            let path = dir.join(format!("encoded-{n}.env"));
            fs::write(&path, doc.render().as_bytes()).unwrap();
            let written = Document::parse(doc.render().as_bytes()).unwrap();
            let expects = written
                .entries_with_raw()
                .zip(chunk.iter().zip(reported))
                .map(|((_, e, raw), (v, reported))| {
                    assert_eq!(e.value().expose(), v, "Compose misreads what was written");
                    let expect = Expect::of(e, raw);
                    assert_eq!(
                        expect.model, reported,
                        "the encoder reports other readers than SC011 finds for {v:?}"
                    );
                    expect
                })
                .collect();
            CorpusFile { path, expects }
        })
        .collect()
}

/// Every catalog component's variables, generated and written by the
/// library as `secrets write` writes them, in `dir`: one file per group of
/// components that compose.
fn catalog(dir: &Path) -> Vec<CorpusFile> {
    write_catalogs(dir)
        .into_iter()
        .map(|(path, doc, _)| corpus_file(path, &doc))
        .collect()
}

/// The fixtures, the encoded values and the catalog; written files go in
/// `dir`.
fn corpus(dir: &Path) -> Vec<CorpusFile> {
    let mut c = fixtures();
    c.extend(encoded(dir));
    c.extend(catalog(dir));
    c
}

/// Where `reader` (what `read` returns for each file) reads a value other
/// than Compose's although the model says it agrees. Panics with the list.
fn assert_flagged_or_equal(corpus: &[CorpusFile], reader: Reader, reads: &[Read]) {
    let mut bad = Vec::new();
    let (mut compared, mut flagged, mut flagged_equal) = (0, 0, 0);
    for (file, read) in corpus.iter().zip(reads) {
        for e in &file.expects {
            let got = match read {
                Ok(map) => map.get(&e.key).cloned().flatten(),
                Err(why) => Some(format!("<refused: {why}>")),
            };
            if e.model.contains(&reader) {
                flagged += 1;
                flagged_equal += usize::from(got.as_deref() == Some(&e.value));
                // And when it reads on, so is the rest of the file.
                if e.runs_on.contains(&reader) {
                    break;
                }
                continue;
            }
            compared += 1;
            if got.as_deref() != Some(&e.value) {
                bad.push(format!(
                    "{}: {} = {:?} read as {got:?} (line {:?})",
                    file.path.file_name().unwrap().to_string_lossy(),
                    e.key,
                    e.value,
                    e.raw
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{reader} reads {} values differently from Compose, unflagged:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // The model may flag more than it must, never less: how much more.
    eprintln!("{reader}: {compared} equal as the model says; {flagged} flagged, of which {flagged_equal} read equal anyway");
    assert!(compared > 100, "{reader}: only {compared} values compared");
}

#[test]
fn dotenvy_reads_as_the_model_says() {
    let d = tempfile::tempdir().unwrap();
    let corpus = corpus(d.path());
    let reads: Vec<Read> = corpus
        .iter()
        .map(|f| {
            let iter = dotenvy::from_path_iter(&f.path).map_err(|e| e.to_string())?;
            Ok(iter.flatten().map(|(k, v)| (k, Some(v))).collect())
        })
        .collect();
    assert_flagged_or_equal(&corpus, Reader::Dotenvy, &reads);
}

/// `{path: {key: value}}` printed as JSON by a script over `paths`.
fn json_reads(stdout: &[u8], corpus: &[CorpusFile]) -> Vec<Read> {
    let all: BTreeMap<String, serde_json::Value> = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(stdout)));
    corpus
        .iter()
        .map(|f| match &all[f.path.to_str().unwrap()] {
            serde_json::Value::Object(m) => Ok(m
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
                .collect()),
            other => Err(other.to_string()),
        })
        .collect()
}

fn paths(corpus: &[CorpusFile]) -> Vec<&str> {
    corpus.iter().map(|f| f.path.to_str().unwrap()).collect()
}

#[test]
fn python_dotenv_reads_as_the_model_says() {
    if !require_python(&[DOTENV]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let corpus = corpus(d.path());
    let script = r#"
import json, sys
from dotenv import dotenv_values
print(json.dumps({p: dotenv_values(p, interpolate=True) for p in sys.argv[1:]}))
"#;
    let out = python(script, &paths(&corpus), b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_flagged_or_equal(
        &corpus,
        Reader::PythonDotenv,
        &json_reads(&out.stdout, &corpus),
    );
}

/// docker-compose 1.29 renders one service per file, each with the file as
/// its `env_file`; `config` prints the environment it would start them with.
#[test]
fn docker_compose_v1_reads_as_the_model_says() {
    if !require(
        have_program("docker-compose"),
        "docker-compose (v1)",
        "apt-get install docker-compose",
    ) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let corpus = corpus(d.path());
    let mut compose = String::from("services:\n");
    for (i, f) in corpus.iter().enumerate() {
        compose.push_str(&format!(
            "  s{i}:\n    image: x\n    env_file: {:?}\n",
            f.path.to_str().unwrap()
        ));
    }
    fs::write(d.path().join("docker-compose.yml"), compose).unwrap();
    let out = Command::new("docker-compose")
        .args(["--project-directory", ".", "config"])
        .current_dir(d.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its own Python reads the YAML back; `$$` is how config writes a `$`.
    let script = r#"
import json, sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
out = {}
for name, s in services.items():
    env = s.get("environment") or {}
    out[name] = {k: (None if v is None else str(v).replace("$$", "$")) for k, v in env.items()}
print(json.dumps(out))
"#;
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &out.stdout).unwrap();
    let parsed = child.wait_with_output().unwrap();
    assert!(parsed.status.success());
    let by_service: BTreeMap<String, BTreeMap<String, Option<String>>> =
        serde_json::from_slice(&parsed.stdout).unwrap();
    let reads: Vec<Read> = (0..corpus.len())
        .map(|i| {
            Ok(by_service
                .get(&format!("s{i}"))
                .cloned()
                .unwrap_or_default())
        })
        .collect();
    assert_flagged_or_equal(&corpus, Reader::ComposeV1, &reads);
}

#[test]
fn npm_dotenv_and_dotenvx_read_as_the_model_says() {
    if !require_node_readers() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let corpus = corpus(d.path());
    let out_path = d.path().join("node.json");
    let script = r#"
const fs = require("fs");
const dotenv = require("dotenv"), dotenv16 = require("dotenv16");
const dotenvx = require("@dotenvx/dotenvx");
const [out, ...files] = process.argv.slice(1);
const r = { npm: {}, npm16: {}, dotenvx: {} };
for (const f of files) {
  const src = fs.readFileSync(f);
  r.npm[f] = dotenv.parse(src);
  r.npm16[f] = dotenv16.parse(src);
  r.dotenvx[f] = dotenvx.parse(src, { processEnv: {} });
}
fs.writeFileSync(out, JSON.stringify(r));
"#;
    let mut args = vec![out_path.to_str().unwrap()];
    args.extend(paths(&corpus));
    let o = node(script, &args, d.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let all: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&fs::read(&out_path).unwrap()).unwrap();
    for (name, reader) in [
        ("npm", Reader::NpmDotenv),
        ("npm16", Reader::NpmDotenv),
        ("dotenvx", Reader::Dotenvx),
    ] {
        let reads = json_reads(all[name].to_string().as_bytes(), &corpus);
        assert_flagged_or_equal(&corpus, reader, &reads);
    }
}

/// The environment `docker create --env-file FILE` gives a container, as
/// the engine stores it; `Err` with the CLI's message when it refuses.
fn docker_env(engine: &Engine, file: &Path) -> Result<BTreeMap<String, Option<String>>, String> {
    let id = engine
        .ok(&["create", "--env-file", file.to_str().unwrap(), IMAGE, "sh"])
        .map_err(|e| e.trim().to_owned())?;
    let id = id.trim();
    let env = engine
        .ok(&["inspect", "--format", "{{json .Config.Env}}", id])
        .unwrap();
    engine.ok(&["rm", id]).unwrap();
    let env: Option<Vec<String>> = serde_json::from_str(&env).unwrap();
    // Later entries win, as in the container.
    Ok(env
        .unwrap_or_default()
        .into_iter()
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), Some(v.to_owned())))
        })
        .collect())
}

#[test]
fn docker_run_env_file_reads_as_the_model_says() {
    let engine = match Engine::start() {
        Ok(e) => e,
        Err(why) => {
            require(
                false,
                &why,
                "tests/install (docker.io, busybox-static), as root",
            );
            return;
        }
    };
    let d = tempfile::tempdir().unwrap();
    let corpus = corpus(d.path());
    let reads: Vec<Read> = corpus
        .iter()
        .map(|f| {
            docker_env(&engine, &f.path).or_else(|_| {
                // Refused as a whole: ask again one assignment at a time.
                let mut map = BTreeMap::new();
                for (i, e) in f.expects.iter().enumerate() {
                    let one = d.path().join(format!("one-{i}.env"));
                    fs::write(&one, &e.raw).unwrap();
                    if let Ok(read) = docker_env(&engine, &one) {
                        map.extend(read.into_iter().filter(|(k, _)| *k == e.key));
                    }
                }
                Ok(map)
            })
        })
        .collect();
    assert_flagged_or_equal(&corpus, Reader::DockerEnvFile, &reads);
}
