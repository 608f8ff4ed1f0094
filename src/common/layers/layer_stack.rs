//! Running an encoder's layers in order while keeping what HF returns on request: every hidden
//! state (the input first, then each layer's output) and every layer's attention probabilities.
use tch::Tensor;

/// The last hidden state of a stack of layers, with the per-layer outputs when asked for.
#[derive(Debug)]
pub struct LayerStackOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// The stack's input followed by the output of every layer (`num_layers + 1` tensors, HF's
    /// convention), when asked for.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked for.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// Feeds `input` through `layers` in order: `forward(layer, hidden)` returns the layer's output
/// and, when the layer was asked for them, its attention probabilities.
pub fn run_layer_stack<L>(
    input: &Tensor,
    layers: impl IntoIterator<Item = L>,
    output_hidden_states: bool,
    output_attentions: bool,
    mut forward: impl FnMut(L, &Tensor) -> (Tensor, Option<Tensor>),
) -> LayerStackOutput {
    let mut all_hidden_states = output_hidden_states.then(Vec::new);
    let mut all_attentions = output_attentions.then(Vec::new);
    let mut hidden = input.shallow_clone();
    for layer in layers {
        if let Some(states) = all_hidden_states.as_mut() {
            states.push(hidden.shallow_clone());
        }
        let (output, probs) = forward(layer, &hidden);
        hidden = output;
        if let (Some(attentions), Some(probs)) = (all_attentions.as_mut(), probs) {
            attentions.push(probs);
        }
    }
    if let Some(states) = all_hidden_states.as_mut() {
        states.push(hidden.shallow_clone());
    }
    LayerStackOutput {
        hidden_state: hidden,
        all_hidden_states,
        all_attentions,
    }
}
