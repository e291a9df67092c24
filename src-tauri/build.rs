//! tauri-build: reads tauri.conf.json and capabilities/ at the package root (the repository
//! root). Listing the app's commands here turns them into permissions (`allow-<command>`) that
//! a capability must grant: without the list every app command would be open to every window.
//! The names come from roster-desk's command list, the same one the commands are made from.

include!("../crates/roster-desk/src/commands.rs");

macro_rules! command_names {
    ($($(#[$meta:meta])* $name:ident ($desk:ident $(, $r:ident : $req:ty)?) -> $ret:ty $body:block)*) => {
        &[$(stringify!($name)),*]
    };
}

const COMMANDS: &[&str] = ipc_commands!(command_names);

fn main() {
    println!("cargo::rerun-if-changed=crates/roster-desk/src/commands.rs");
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes)
        .expect("tauri-build: check tauri.conf.json, capabilities/ and icons/");
}
