//! Resources: local files, in-memory buffers, and remote files fetched from a real HTTP server
//! on 127.0.0.1 that serves a hub-shaped folder (`{repo}/resolve/main/{file}`).
//!
//! Environment variables are process-wide and tests run on parallel threads, so the remote
//! tests pass explicit `ResourceSettings` (own cache folder, endpoint = the test server)
//! instead of setting `RUSTBERT_CACHE` / `HF_ENDPOINT` / `HF_HUB_OFFLINE`.

use rust_bert::resources::{
    load_weights, BufferResource, LocalResource, RemoteResource, Resource, ResourceProvider,
    ResourceSettings, DEFAULT_HF_ENDPOINT,
};
use rust_bert::RustBertError;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tempfile::TempDir;

/// A minimal HTTP/1.1 file server for the hub layout, closing each connection after one
/// response (`Connection: close`) so it needs no keep-alive handling.
struct HubServer {
    addr: SocketAddr,
    root: TempDir,
    requests: Arc<AtomicUsize>,
    cut_downloads: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HubServer {
    fn start() -> HubServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let root = tempfile::tempdir().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let cut_downloads = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let root = root.path().to_path_buf();
            let (requests, cut_downloads, stop) =
                (requests.clone(), cut_downloads.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (root, requests, cut) =
                        (root.clone(), requests.clone(), cut_downloads.clone());
                    std::thread::spawn(move || {
                        let _ = serve(stream, &root, &requests, cut.load(Ordering::SeqCst));
                    });
                }
            })
        };
        HubServer {
            addr,
            root,
            requests,
            cut_downloads,
            stop,
            thread: Some(thread),
        }
    }

    /// What `HF_ENDPOINT` would be set to for this server.
    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Puts `contents` at `{repo}/resolve/main/{file}`.
    fn add_file(&self, repo: &str, file: &str, contents: &[u8]) {
        let path = self.root.path().join(repo).join("resolve/main").join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// When on, GET responses announce the full Content-Length, send half and close.
    fn set_cut_downloads(&self, on: bool) {
        self.cut_downloads.store(on, Ordering::SeqCst);
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, root: &Path, requests: &AtomicUsize, cut: bool) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);

    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let relative = target.trim_start_matches('/');
    let file = if relative.split('/').any(|part| part == "..") {
        None
    } else {
        fs::read(root.join(relative)).ok()
    };

    let mut stream = stream;
    match file {
        None => {
            let body = b"Entry not found";
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            if method != "HEAD" {
                stream.write_all(body)?;
            }
        }
        Some(contents) => {
            // A content-derived ETag, so a re-download after a cut maps to the same cache file.
            let etag = contents
                .iter()
                .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
                    (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
                });
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"{etag:016x}\"\r\n\
                 Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                contents.len()
            )?;
            if method == "GET" {
                if cut {
                    stream.write_all(&contents[..contents.len() / 2])?;
                } else {
                    stream.write_all(&contents)?;
                }
            }
        }
    }
    stream.flush()?;
    stream.shutdown(std::net::Shutdown::Both)
}

fn settings(cache: &TempDir, server: &HubServer, offline: bool) -> ResourceSettings {
    ResourceSettings {
        cache_dir: cache.path().to_path_buf(),
        endpoint: server.endpoint(),
        offline,
    }
}

/// Files in `dir` (recursively), other than cached-path's `.lock` files.
fn cached_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(cached_files(&path));
            } else if path.extension().is_none_or(|ext| ext != "lock") {
                found.push(path);
            }
        }
    }
    found
}

fn download_message(error: RustBertError) -> String {
    match error {
        RustBertError::FileDownloadError(message) => message,
        other => panic!("expected FileDownloadError, got {other:?}"),
    }
}

#[test]
fn remote_downloads_once_then_hits_the_cache_without_any_request() {
    let server = HubServer::start();
    server.add_file("org/tiny-bert", "config.json", br#"{"hidden_size": 8}"#);
    let cache = tempfile::tempdir().unwrap();
    let resource = RemoteResource::from_hub("org/tiny-bert", "config.json");

    let first = resource
        .get_local_path_with(&settings(&cache, &server, false))
        .unwrap();
    assert!(server.requests() >= 1);
    assert_eq!(fs::read(&first).unwrap(), br#"{"hidden_size": 8}"#);
    assert!(first.starts_with(cache.path().join("org/tiny-bert")));

    let requests_after_download = server.requests();
    let second = resource
        .get_local_path_with(&settings(&cache, &server, false))
        .unwrap();
    assert_eq!(second, first);
    assert_eq!(
        server.requests(),
        requests_after_download,
        "cache hit sent a request"
    );
}

#[test]
fn remote_offline_uses_the_cache() {
    let server = HubServer::start();
    server.add_file("org/tiny-bert", "vocab.txt", b"[PAD]\n[UNK]\nhello\n");
    let cache = tempfile::tempdir().unwrap();
    let resource = RemoteResource::from_hub("org/tiny-bert", "vocab.txt");
    let online = resource
        .get_local_path_with(&settings(&cache, &server, false))
        .unwrap();
    let requests = server.requests();

    let offline = resource
        .get_local_path_with(&settings(&cache, &server, true))
        .unwrap();
    assert_eq!(offline, online);
    assert_eq!(server.requests(), requests);
    assert_eq!(fs::read(offline).unwrap(), b"[PAD]\n[UNK]\nhello\n");
}

#[test]
fn remote_offline_without_cache_fails_naming_url_and_cache() {
    let server = HubServer::start();
    server.add_file("org/tiny-bert", "config.json", b"{}");
    let cache = tempfile::tempdir().unwrap();
    let resource = RemoteResource::from_hub("org/tiny-bert", "config.json");

    let error = resource
        .get_local_path_with(&settings(&cache, &server, true))
        .unwrap_err();
    let message = download_message(error);
    eprintln!("offline miss: {message}");
    let url = format!(
        "{}/org/tiny-bert/resolve/main/config.json",
        server.endpoint()
    );
    assert!(message.contains(&url), "{message}");
    assert!(
        message.contains(&cache.path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("offline"), "{message}");
    assert_eq!(server.requests(), 0, "offline mode touched the network");
}

#[test]
fn remote_missing_file_is_a_download_error_naming_the_url() {
    let server = HubServer::start();
    let cache = tempfile::tempdir().unwrap();
    let resource = RemoteResource::from_hub("org/tiny-bert", "missing.bin");

    let error = resource
        .get_local_path_with(&settings(&cache, &server, false))
        .unwrap_err();
    let message = download_message(error);
    eprintln!("missing file: {message}");
    let url = format!(
        "{}/org/tiny-bert/resolve/main/missing.bin",
        server.endpoint()
    );
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("404"), "{message}");
    assert!(cached_files(cache.path()).is_empty());
}

#[test]
fn remote_cut_download_leaves_no_file_and_next_download_succeeds() {
    let server = HubServer::start();
    let weights: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    server.add_file("org/tiny-bert", "rust_model.ot", &weights);
    let cache = tempfile::tempdir().unwrap();
    let resource = RemoteResource::from_hub("org/tiny-bert", "rust_model.ot");

    server.set_cut_downloads(true);
    let error = resource
        .get_local_path_with(&settings(&cache, &server, false))
        .unwrap_err();
    let message = download_message(error);
    eprintln!("cut download: {message}");
    assert!(message.contains("rust_model.ot"), "{message}");
    // Neither the truncated body (nor its temp file) nor a `.meta` entry may remain...
    assert_eq!(cached_files(cache.path()), Vec::<PathBuf>::new());
    // ...so the cache does not offer it offline either.
    assert!(resource
        .get_local_path_with(&settings(&cache, &server, true))
        .is_err());

    server.set_cut_downloads(false);
    let path = resource
        .get_local_path_with(&settings(&cache, &server, false))
        .unwrap();
    assert_eq!(fs::read(path).unwrap(), weights);
}

#[test]
fn remote_parallel_downloads_of_one_file_agree() {
    let server = HubServer::start();
    let weights: Vec<u8> = (0..64 * 1024).map(|i| (i % 13) as u8).collect();
    server.add_file("org/tiny-bert", "model.safetensors", &weights);
    let cache = tempfile::tempdir().unwrap();
    let settings = settings(&cache, &server, false);
    let resource = RemoteResource::from_hub("org/tiny-bert", "model.safetensors");

    let paths: Vec<PathBuf> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| resource.get_local_path_with(&settings).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for path in &paths {
        assert_eq!(path, &paths[0]);
    }
    assert_eq!(fs::read(&paths[0]).unwrap(), weights);
}

#[test]
fn remote_plain_url_outside_the_hub_is_fetched_as_written() {
    let server = HubServer::start();
    server.add_file("files", "merges.txt", b"#version: 0.2\n");
    let cache = tempfile::tempdir().unwrap();
    // The endpoint only rewrites hub URLs; this one names the server directly.
    let settings = ResourceSettings {
        cache_dir: cache.path().to_path_buf(),
        endpoint: "http://127.0.0.1:9".to_string(),
        offline: false,
    };
    let url = format!("{}/files/resolve/main/merges.txt", server.endpoint());
    let resource = RemoteResource::from_pretrained(("gpt2/merges", &url));
    let path = resource.get_local_path_with(&settings).unwrap();
    assert!(path.starts_with(cache.path().join("gpt2/merges")));
    assert_eq!(fs::read(path).unwrap(), b"#version: 0.2\n");
}

#[test]
fn remote_cache_subdir_may_not_leave_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let settings = ResourceSettings {
        cache_dir: cache.path().to_path_buf(),
        endpoint: DEFAULT_HF_ENDPOINT.to_string(),
        offline: true,
    };
    for subdir in ["../outside", "/tmp/absolute", "a/../../b"] {
        let resource = RemoteResource::new("https://huggingface.co/x/resolve/main/y", subdir);
        let error = resource.get_local_path_with(&settings).unwrap_err();
        assert!(
            matches!(error, RustBertError::ValueError(_)),
            "{subdir}: {error:?}"
        );
    }
}

#[test]
fn remote_constructors_follow_rust_bert() {
    let url = "https://huggingface.co/bert-base-uncased/resolve/main/rust_model.ot";
    let pretrained = RemoteResource::from_pretrained(("bert/model", url));
    assert_eq!(pretrained.url, url);
    assert_eq!(pretrained.cache_subdir, "bert/model");
    assert_eq!(RemoteResource::new(url, "bert/model"), pretrained);

    let hub = RemoteResource::from_hub("sentence-transformers/all-MiniLM-L6-v2", "config.json");
    assert_eq!(
        hub.url,
        "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/config.json"
    );
    assert_eq!(hub.cache_subdir, "sentence-transformers/all-MiniLM-L6-v2");
}

#[test]
fn settings_endpoint_rewrites_only_hub_urls() {
    let settings = ResourceSettings {
        cache_dir: PathBuf::from("/cache"),
        endpoint: "https://hf-mirror.example".to_string(),
        offline: false,
    };
    assert_eq!(
        settings.resolve_url("https://huggingface.co/gpt2/resolve/main/vocab.json"),
        "https://hf-mirror.example/gpt2/resolve/main/vocab.json"
    );
    assert_eq!(
        settings.resolve_url("https://huggingface.com.example/gpt2"),
        "https://huggingface.com.example/gpt2"
    );
    assert_eq!(
        settings.resolve_url("https://example.org/model.ot"),
        "https://example.org/model.ot"
    );
}

#[test]
fn settings_from_lookup_parses_variables() {
    let lookup = |vars: &[(&str, &str)]| {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        ResourceSettings::from_lookup(|name| vars.get(name).cloned()).unwrap()
    };

    let set = lookup(&[
        ("RUSTBERT_CACHE", "/data/rustbert"),
        ("HF_ENDPOINT", "https://hf-mirror.example/"),
    ]);
    assert_eq!(set.cache_dir, PathBuf::from("/data/rustbert"));
    assert_eq!(set.endpoint, "https://hf-mirror.example");
    assert!(!set.offline);

    for value in ["1", "true", "TRUE", "yes", "on", " 1 "] {
        assert!(
            lookup(&[("RUSTBERT_CACHE", "/c"), ("HF_HUB_OFFLINE", value)]).offline,
            "{value}"
        );
        assert!(
            lookup(&[("RUSTBERT_CACHE", "/c"), ("RUSTBERT_OFFLINE", value)]).offline,
            "{value}"
        );
    }
    for value in ["0", "false", "no", ""] {
        assert!(
            !lookup(&[("RUSTBERT_CACHE", "/c"), ("HF_HUB_OFFLINE", value)]).offline,
            "{value}"
        );
    }

    // Unset (or empty) values fall back to the defaults.
    let defaults = lookup(&[("RUSTBERT_CACHE", ""), ("HF_ENDPOINT", "")]);
    assert_eq!(defaults.endpoint, DEFAULT_HF_ENDPOINT);
    assert!(
        defaults.cache_dir.ends_with(".rustbert"),
        "{:?}",
        defaults.cache_dir
    );
}

#[test]
fn buffer_resource_round_trip() {
    let resource = BufferResource::from(vec![1u8, 2, 3]);
    match resource.get_resource().unwrap() {
        Resource::Buffer(mut bytes) => {
            assert_eq!(bytes.as_slice(), &[1, 2, 3]);
            bytes.push(4);
        }
        Resource::PathBuf(path) => panic!("buffer gave a path: {path:?}"),
    }
    // Clones share the bytes, and the guard above was released.
    let clone = resource.clone();
    assert_eq!(clone.data.read().unwrap().as_slice(), &[1, 2, 3, 4]);

    let error = resource.get_local_path().unwrap_err();
    assert!(
        matches!(error, RustBertError::UnsupportedError(_)),
        "{error:?}"
    );

    let boxed: Box<dyn ResourceProvider + Send> = vec![9u8].into();
    assert!(matches!(boxed.get_resource().unwrap(), Resource::Buffer(b) if b.as_slice() == [9]));
}

#[test]
fn local_resource_returns_its_path() {
    let path = PathBuf::from("some/dir/config.json");
    let resource = LocalResource::from(path.clone());
    assert_eq!(resource.get_local_path().unwrap(), path);
    assert!(matches!(resource.get_resource().unwrap(), Resource::PathBuf(p) if p == path));

    // Boxed providers are providers (pipeline configs store `Box<dyn ResourceProvider + Send>`).
    let boxed: Box<dyn ResourceProvider + Send> = path.clone().into();
    assert_eq!(boxed.get_local_path().unwrap(), path);
}

#[test]
fn load_weights_from_file_and_from_buffer() {
    use tch::{nn, Device, Kind, Tensor};

    let source = nn::VarStore::new(Device::Cpu);
    let mut weight = source.root().var("weight", &[2, 3], nn::Init::Const(0.0));
    tch::no_grad(|| weight.copy_(&Tensor::arange(6, (Kind::Float, Device::Cpu)).view([2, 3])));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rust_model.ot");
    source.save(&file).unwrap();
    let mut bytes = Vec::new();
    source.save_to_stream(&mut bytes).unwrap();

    let providers: Vec<Box<dyn ResourceProvider + Send>> =
        vec![file.into(), Box::new(BufferResource::from(bytes))];
    for provider in &providers {
        let mut target = nn::VarStore::new(Device::Cpu);
        let loaded = target.root().var("weight", &[2, 3], nn::Init::Const(-1.0));
        load_weights(provider, &mut target, None, Device::Cpu).unwrap();
        assert!(loaded.allclose(&weight, 0.0, 0.0, false), "{provider:?}");
    }
}
