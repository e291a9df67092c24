//! The Tauri commands, made from roster-desk's one command list (`ipc_commands!`): each is its
//! list entry's call into `Desk`, with the request read from the whole argument object the
//! page passes to `invoke` and errors as `AppError` (`{code, message}`). No logic here.
//!
//! src-tauri/build.rs reads the same list, which makes each command a permission
//! (`allow-<name>`) that capabilities/main.json grants to the main window.

use roster_desk::{AppError, Desk};
use tauri::ipc::{CommandArg, CommandItem, InvokeBody, InvokeError};
use tauri::{Runtime, State};

/// A command's request: the whole argument object of `invoke(cmd, args)`, read as one struct
/// (Tauri's own arguments are one JSON key each).
pub struct Args<T>(pub T);

impl<'de, T: serde::de::DeserializeOwned, R: Runtime> CommandArg<'de, R> for Args<T> {
    fn from_command(command: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        let InvokeBody::Json(args) = command.message.payload() else {
            return Err(InvokeError::from(format!(
                "{}: the arguments must be a JSON object",
                command.name
            )));
        };
        T::deserialize(args)
            .map(Args)
            .map_err(|e| InvokeError::from(format!("invalid arguments for {}: {e}", command.name)))
    }
}

macro_rules! tauri_commands {
    ($($(#[$meta:meta])* $name:ident ($desk:ident $(, $r:ident : $req:ty)?) -> $ret:ty $body:block)*) => {
        $(
            $(#[$meta])*
            #[tauri::command]
            pub async fn $name(state: State<'_, Desk>, $($r: Args<$req>)?) -> Result<$ret, AppError> {
                let $desk: &Desk = &state;
                $(let Args($r) = $r;)?
                $body.await.map_err(AppError::from)
            }
        )*

        /// Every command, for `Builder::invoke_handler`.
        pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

roster_desk::ipc_commands!(tauri_commands);
