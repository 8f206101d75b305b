//! `neurons`: the command-line side of Emotion Neurons (weights, predict).

fn main() {
    if let Err(e) = emotion_neurons::cli::run(std::env::args_os()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
