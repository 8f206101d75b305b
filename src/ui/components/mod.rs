//! One component per pipeline stage.

mod affect_readout;
mod backend_badge;
mod classroom_experiment;
mod dataset_profiler;
mod emotion_map_view;
mod emotion_readout;
mod experiment_panel;
mod export_panel;
mod image_input;
mod intervention_panel;
mod layer_grid;
mod layer_summary;
mod lesson_panel;
mod model_panel;
mod object_guess;
mod panel_tabs;
mod profile_overview;
mod reference_results;
mod status_bar;
mod teacher_view;
mod top_images;
mod unit_detail;
mod worksheet_export;

pub use affect_readout::AffectReadout;
pub use backend_badge::BackendBadge;
pub use classroom_experiment::ClassroomExperiment;
pub use dataset_profiler::DatasetProfiler;
pub use emotion_map_view::EmotionMapView;
pub use emotion_readout::EmotionReadout;
pub use experiment_panel::ExperimentPanel;
pub use export_panel::ExportPanel;
pub use image_input::ImageInput;

/// Whether `name` is a bundled example image's file name.
pub fn is_example(name: &str) -> bool {
    !name.is_empty() && image_input::examples().iter().any(|e| e.file == name)
}

/// Runs the bundled example `file`.
pub fn take_example(s: crate::ui::store::Store, file: String) {
    image_input::take_example(s, file)
}
pub use intervention_panel::InterventionPanel;
pub use layer_grid::LayerGrid;
pub use layer_summary::LayerSummary;
pub use lesson_panel::LessonPanel;
pub use model_panel::ModelPanel;
pub use object_guess::ObjectGuess;
pub use panel_tabs::PanelTabs;
pub use profile_overview::ProfileOverview;
pub use reference_results::ReferenceResults;
pub use status_bar::StatusBar;
pub use teacher_view::TeacherView;
pub use unit_detail::UnitDetail;
pub use worksheet_export::WorksheetExport;
