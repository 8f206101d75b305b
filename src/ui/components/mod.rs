//! One component per pipeline stage.

mod backend_badge;
mod image_input;
mod layer_summary;
mod model_panel;
mod status_bar;

pub use backend_badge::BackendBadge;
pub use image_input::ImageInput;
pub use layer_summary::LayerSummary;
pub use model_panel::ModelPanel;
pub use status_bar::StatusBar;
