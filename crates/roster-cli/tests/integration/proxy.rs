//! A proxy in the environment never sees a request to this computer: the API key travels in
//! every request's header, and a proxy named by HTTP_PROXY / ALL_PROXY may sit on another
//! machine. A loopback listener plays that proxy and must accept nothing, whether or not the
//! user turned proxies on (`ROSTER_USE_PROXY=1`, for https to other computers only); `accounts
//! doctor` says which proxy is used.

use crate::common;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Roster, Server};

/// A listener that counts the connections made to it (and closes each).
fn trap() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            count.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, seen)
}

#[test]
fn given_a_proxy_in_the_environment_when_roster_calls_a_server_on_this_computer_then_the_proxy_gets_nothing()
 {
    let server = Server::start();
    let roster = Roster::new(&server);
    let key = server.owner_key("owner-member-link");
    let (proxy, seen) = trap();
    for allowed in [false, true] {
        let run = |args: &[&str]| {
            let mut run = roster.with_key(&key, args);
            for var in
                ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
            {
                run = run.env(var, &proxy);
            }
            if allowed {
                run.env("ROSTER_USE_PROXY", "1")
            } else {
                run.env_remove("ROSTER_USE_PROXY")
            }
        };
        let members = run(&["members", "list", "--json"]).run().ok().json();
        assert!(!members.as_array().unwrap().is_empty(), "{members}");
        let doctor = run(&["accounts", "doctor", "--json"]).run().json();
        let said = doctor["proxy"].as_str().unwrap().to_string();
        if allowed {
            assert!(
                said.starts_with(&format!("https to other computers through {proxy}")),
                "{said}"
            );
            assert!(said.contains("this computer and plain http always direct"), "{said}");
        } else {
            assert!(said.starts_with("direct: HTTPS_PROXY names"), "{said}");
            assert!(said.contains("only with ROSTER_USE_PROXY=1"), "{said}");
        }
        assert_eq!(
            seen.load(Ordering::SeqCst),
            0,
            "the proxy was contacted (ROSTER_USE_PROXY allowed: {allowed})"
        );
    }
}
