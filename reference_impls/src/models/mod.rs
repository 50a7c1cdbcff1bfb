//! The runnable models, each a file that reads top-down like its note, and the list that
//! registers them.
//!
//! To add a model: declare its module here, implement [`Implementation`] on a unit struct in it,
//! and add that struct to [`ALL`] (the networks `mlp`, `cnn` and `activations` go here too).

pub mod activations;
pub mod attention;
pub mod autoencoder;
pub mod capsnet;
pub mod char_rnn;
pub mod cnn;
pub mod contrastive;
pub mod diffusion;
pub mod gan;
pub mod gradient_descent;
pub mod mlp;
pub mod rnn;
pub mod svm;
pub mod train;
pub mod transformer;

use crate::implementation::Implementation;

/// Every registered implementation, in the order `savoir impls` lists them.
pub(crate) static ALL: &[&dyn Implementation] = &[
    &mlp::MlpOnDigits,
    &gradient_descent::GradientDescent,
    &activations::Activations,
    &svm::Svm,
    &cnn::Cnn,
    &rnn::Recurrents,
    &attention::AttentionModel,
    &autoencoder::AutoencoderModel,
    &gan::GanModel,
    &diffusion::DiffusionModel,
    &transformer::TransformerModel,
    &contrastive::ContrastiveModel,
    &capsnet::CapsNetModel,
];
