//! Mounts the Leptos app; everything else lives in the library.

#[cfg(target_family = "wasm")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(emotion_neurons::ui::App);
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("the web app is built with `trunk`; the native tool is `neurons` (--features cli)");
}
