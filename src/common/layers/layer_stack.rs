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
    let infallible = try_run_layer_stack::<L, std::convert::Infallible>(
        input,
        layers,
        output_hidden_states,
        output_attentions,
        |layer, hidden| Ok(forward(layer, hidden)),
    );
    match infallible {
        Ok(output) => output,
        Err(never) => match never {},
    }
}

/// As [`run_layer_stack`] for layers whose forward can fail (a mis-shaped cache entry): the
/// first error stops the stack and is returned.
pub fn try_run_layer_stack<L, E>(
    input: &Tensor,
    layers: impl IntoIterator<Item = L>,
    output_hidden_states: bool,
    output_attentions: bool,
    mut forward: impl FnMut(L, &Tensor) -> Result<(Tensor, Option<Tensor>), E>,
) -> Result<LayerStackOutput, E> {
    let mut all_hidden_states = output_hidden_states.then(Vec::new);
    let mut all_attentions = output_attentions.then(Vec::new);
    let mut hidden = input.shallow_clone();
    for layer in layers {
        if let Some(states) = all_hidden_states.as_mut() {
            states.push(hidden.shallow_clone());
        }
        let (output, probs) = forward(layer, &hidden)?;
        hidden = output;
        if let (Some(attentions), Some(probs)) = (all_attentions.as_mut(), probs) {
            attentions.push(probs);
        }
    }
    if let Some(states) = all_hidden_states.as_mut() {
        states.push(hidden.shallow_clone());
    }
    Ok(LayerStackOutput {
        hidden_state: hidden,
        all_hidden_states,
        all_attentions,
    })
}

impl LayerStackOutput {
    /// Applies the stack's final norm to the last hidden state, which then also replaces the
    /// last of `all_hidden_states` (HF's convention for decoders with a final norm: GPT-2,
    /// GPT-Neo, GPT-J).
    pub fn with_final_norm(mut self, norm: impl FnOnce(&Tensor) -> Tensor) -> Self {
        self.hidden_state = norm(&self.hidden_state);
        if let Some(last) = self.all_hidden_states.as_mut().and_then(|h| h.last_mut()) {
            *last = self.hidden_state.shallow_clone();
        }
        self
    }
}

/// Per-layer outputs of an encoder or decoder stack driven by its own loop (the
/// encoder-decoder models, whose decoders also carry a cache and cross-attention).
#[derive(Debug, Default)]
pub struct StackOutputs {
    /// The stack's input then every layer's output (the last after the stack's final norm),
    /// when asked for.
    pub hidden_states: Option<Vec<Tensor>>,
    /// Self-attention probabilities of every layer, when asked for.
    pub attentions: Option<Vec<Tensor>>,
    /// Cross-attention probabilities of every decoder layer, when asked for.
    pub cross_attentions: Option<Vec<Tensor>>,
}

impl StackOutputs {
    /// Collects what is asked for.
    pub fn new(hidden_states: bool, attentions: bool, cross_attentions: bool) -> Self {
        Self {
            hidden_states: hidden_states.then(Vec::new),
            attentions: attentions.then(Vec::new),
            cross_attentions: cross_attentions.then(Vec::new),
        }
    }

    /// Records a hidden state (a layer's input, or the stack's final output).
    pub fn push_hidden(&mut self, hidden: &Tensor) {
        if let Some(all) = self.hidden_states.as_mut() {
            all.push(hidden.shallow_clone());
        }
    }

    /// Records a layer's attention probabilities.
    pub fn push_attentions(&mut self, attention: Option<Tensor>, cross: Option<Tensor>) {
        if let (Some(all), Some(p)) = (self.attentions.as_mut(), attention) {
            all.push(p);
        }
        if let (Some(all), Some(p)) = (self.cross_attentions.as_mut(), cross) {
            all.push(p);
        }
    }
}
