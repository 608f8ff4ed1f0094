//! rust-bert 0.23's infallible signatures over the crate's fallible methods.
//!
//! rust-bert's heads return their output directly (`model.forward_t(...).logits`) and panic on
//! bad input. Drop-in code needs those signatures, while this crate's own pipelines, CLI and
//! server must never panic on text or files. So each such method exists twice: `try_<name>`
//! returns `Result<_, RustBertError>` and holds the logic; `<name>` keeps rust-bert's signature
//! and panics with the twin's error. The macro below writes the second from the first.

/// Writes `fn $name(&self, args...) -> $out` calling `self.$twin(args...)` and panicking with its
/// error, documented under `# Panics`. Clippy's crate-wide `panic` deny is lifted on exactly the
/// generated function.
macro_rules! infallible_twin {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $out:ty = $twin:ident
    ) => {
        $(#[$attr])*
        ///
        /// # Panics
        #[doc = concat!(
            "When [`Self::", stringify!($twin), "`] returns an error (mis-shaped or empty ",
            "inputs, an input past the model's limits); call it to get the `RustBertError` ",
            "instead. This signature is rust-bert 0.23's."
        )]
        #[allow(clippy::too_many_arguments)]
        #[allow(clippy::panic)]
        $vis fn $name(&self $(, $arg: $ty)*) -> $out {
            match self.$twin($($arg),*) {
                Ok(output) => output,
                Err(error) => panic!("{}: {error}", stringify!($name)),
            }
        }
    };
}
pub(crate) use infallible_twin;

/// Writes rust-bert's constructor `fn new(p, config: &$config, extra args...) -> Self` over the
/// type's `try_new(p, config, extra args...) -> Result<Self, RustBertError>`, panicking with its error (documented
/// under `# Panics`, clippy's `panic` deny lifted on it alone): the constructor twin of
/// [`infallible_twin`], for models whose construction checks the configuration.
macro_rules! infallible_new {
    ($config:ty $(, $arg:ident: $arg_ty:ty)*) => {
        /// As [`Self::try_new`], with rust-bert 0.23's signature: the model or head itself.
        ///
        /// # Panics
        /// When [`Self::try_new`] refuses the configuration; call it to get the
        /// `RustBertError` instead.
        #[allow(clippy::panic)]
        pub fn new<'p, P: std::borrow::Borrow<tch::nn::Path<'p>>>(
            p: P,
            config: &$config
            $(, $arg: $arg_ty)*
        ) -> Self {
            match Self::try_new(p, config $(, $arg)*) {
                Ok(built) => built,
                Err(error) => panic!("new: {error}"),
            }
        }
    };
}
pub(crate) use infallible_new;
