//! What only a real desktop has: the tray menu, bringing the window forward, native
//! notifications, and forwarding the session's events to the web view.

use roster_core::SavedAccount;
use roster_desk::ipc::events;
use roster_desk::{AccountsView, Desk, DeskEvent};
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

const TRAY: &str = "main";
const MENU_SHOW: &str = "show";
const MENU_QUIT: &str = "quit";
const MENU_COPY_INVITE: &str = "copy-invite";
const MENU_ACCOUNT: &str = "account:";

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,roster_desktop=info,roster_core=info")
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Shows, un-minimises and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// The error dialog's title; what failed is its headline.
const FAILURE_TITLE: &str = "Roster could not start";

/// A modal error dialog, before Roster has a window or instead of one. Returns when the user
/// closes it, or at once without a display to show it on (a terminal over ssh reads stderr).
#[cfg(any(
    target_os = "linux",
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
))]
pub fn show_failure(headline: &str, detail: &str) {
    use gtk::prelude::*;
    if gtk::init().is_err() {
        return;
    }
    let dialog = gtk::MessageDialog::new(
        None::<&gtk::Window>,
        gtk::DialogFlags::MODAL,
        gtk::MessageType::Error,
        gtk::ButtonsType::Close,
        headline,
    );
    dialog.set_title(FAILURE_TITLE);
    dialog.set_secondary_text(Some(detail));
    // The detail often names the file to fix: let the user copy its path.
    if let Ok(area) = dialog.message_area().downcast::<gtk::Container>() {
        for label in area.children().into_iter().filter_map(|w| w.downcast::<gtk::Label>().ok()) {
            label.set_selectable(true);
        }
    }
    dialog.run();
}

#[cfg(any(target_os = "macos", target_os = "windows"))]
pub fn show_failure(headline: &str, detail: &str) {
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title(FAILURE_TITLE)
        .set_description(format!("{headline}.\n\n{detail}"))
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}

/// Forwards live audit events to the web view ("audit"), with a native notification when
/// someone joins, and redraws the tray when the account list changes.
pub fn forward_events<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let mut events = app.state::<Desk>().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(DeskEvent::Audit(notice)) => {
                    if let Err(e) = app.emit(events::AUDIT, &notice) {
                        tracing::warn!(error = %e, "could not forward an audit event");
                    }
                    if let Some(text) = &notice.notification {
                        notify(&app, text);
                    }
                }
                Ok(DeskEvent::AccountsChanged) => refresh_tray(&app).await,
                Ok(DeskEvent::LiveConnected { account }) => {
                    tracing::debug!(account, "live events connected")
                }
                Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "events fell behind"),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

fn notify<R: Runtime>(app: &AppHandle<R>, text: &str) {
    // Absent under the test runtime; a desktop without a notification server only logs.
    let Some(notifications) = app.try_state::<tauri_plugin_notification::Notification<R>>() else {
        return;
    };
    if let Err(e) = notifications.builder().title("Roster").body(text).show() {
        tracing::warn!(error = %e, "could not show a notification");
    }
}

/// The tray icon: the accounts (click: switch and show), "Copy new invite link…", show, quit.
pub fn install_tray<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip("Roster")
        .menu(&tray_menu(app, None)?)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh_tray(&app).await });
    Ok(())
}

async fn refresh_tray<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY) else { return };
    let view = app.state::<Desk>().accounts_list().await.ok();
    match tray_menu(app, view.as_ref()) {
        Ok(menu) => {
            if let Err(e) = tray.set_menu(Some(menu)) {
                tracing::warn!(error = %e, "could not update the tray menu");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not build the tray menu"),
    }
}

fn tray_menu<R: Runtime>(
    app: &AppHandle<R>,
    view: Option<&AccountsView>,
) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    if let Some(view) = view {
        for account in &view.accounts {
            let active = view.active.as_deref() == Some(account.id.as_str());
            menu.append(&CheckMenuItem::with_id(
                app,
                format!("{MENU_ACCOUNT}{}", account.id),
                account_label(account),
                true,
                active,
                None::<&str>,
            )?)?;
        }
        if !view.accounts.is_empty() {
            menu.append(&PredefinedMenuItem::separator(app)?)?;
        }
    }
    let has_active = view.is_some_and(|v| v.active.is_some());
    menu.append(&MenuItem::with_id(
        app,
        MENU_COPY_INVITE,
        "Copy new invite link…",
        has_active,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, MENU_SHOW, "Show Roster", true, None::<&str>)?)?;
    menu.append(&MenuItem::with_id(app, MENU_QUIT, "Quit Roster", true, None::<&str>)?)?;
    Ok(menu)
}

/// An account's tray entry, "Acme — Owner". A key in the plain-text key file is flagged,
/// "Acme — Owner (key in plain text)": the tray is often all the user sees of Roster, and the
/// window's banner (which says how to move the key) only shows once it is open.
fn account_label(account: &SavedAccount) -> String {
    let text = format!("{} — {}", account.label, account.role_name);
    if account.key_store.is_plain_text() { format!("{text} (key in plain text)") } else { text }
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref();
    match id {
        MENU_SHOW => show_main(app),
        MENU_QUIT => app.exit(0),
        MENU_COPY_INVITE => {
            show_main(app);
            let _ = app.emit(events::COPY_INVITE_REQUESTED, ());
        }
        _ => {
            let Some(account) = id.strip_prefix(MENU_ACCOUNT).map(str::to_string) else {
                return;
            };
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let desk = app.state::<Desk>();
                if let Err(e) = desk.account_switch(&account, false).await {
                    // The window shows why when the user acts there; the active account is unchanged.
                    tracing::warn!(account, error = %e, "tray: could not switch");
                }
                show_main(&app);
                if let Ok(view) = desk.accounts_list().await {
                    let _ = app.emit(events::ACCOUNTS_CHANGED, &view);
                }
                // GTK ticks a check item on click: redraw so only the active one is ticked.
                refresh_tray(&app).await;
            });
        }
    }
}

/// Ctrl-C and SIGTERM end the app like closing its window does, so the demo's keys leave the
/// keychain (a plain kill would skip `RunEvent::Exit`).
pub fn quit_on_signals<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) =
                (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
            else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        app.exit(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::KeyStore;

    fn saved(label: &str, key_store: KeyStore) -> SavedAccount {
        SavedAccount::example(label, key_store)
    }

    #[test]
    fn given_accounts_when_listed_in_the_tray_then_only_a_key_in_the_plain_text_file_is_flagged() {
        assert_eq!(
            account_label(&saved(
                "Acme",
                KeyStore::File { path: "/home/ana/.config/roster/keys.json".into() }
            )),
            "Acme — Owner (key in plain text)"
        );
        assert_eq!(account_label(&saved("Acme", KeyStore::os())), "Acme — Owner");
        // Memory keys are gone when Roster quits, but never written anywhere.
        assert_eq!(account_label(&saved("Acme", KeyStore::Memory)), "Acme — Owner");
    }
}
