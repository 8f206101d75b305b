//! The engine worker: runs the network for the page, behind the typed protocol
//! (`emotion_neurons::protocol`). Everything lives in the library.

#[cfg(target_family = "wasm")]
fn main() {
    emotion_neurons::worker::start();
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("the engine worker is built for the browser with `trunk`");
}
