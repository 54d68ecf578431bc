//! The page's views: small Leptos components, each a panel or a part of one, that read the
//! shared state and the core and hand their work to the services.

pub mod chart;
pub mod compare_panel;
pub mod corpus_panel;
pub mod corpus_songs;
pub mod generator;
pub mod loss_chart;
pub mod model_card;
pub mod models_panel;
pub mod staff;
pub mod status;
pub mod train_panel;
pub mod tune_card;
