//! Inputs in, JSON lines out: reading stdin, running the inputs in batches under a progress
//! bar, writing one JSON object per input.
use crate::args::InputArgs;
use crate::CliError;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufRead, IsTerminal, Write};

/// More inputs than this get a progress bar (when stderr is a terminal and `--quiet` is off).
const PROGRESS_MIN_INPUTS: usize = 8;

/// The inputs: the TEXT arguments, or else the lines of stdin (without their line ends; an
/// empty line is an empty input).
///
/// # Errors
/// Stdin that cannot be read or is not UTF-8 (the line is named).
pub fn read_inputs(args: &InputArgs) -> Result<Vec<String>, CliError> {
    if !args.texts.is_empty() {
        return Ok(args.texts.clone());
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() && !args.quiet {
        eprintln!("reading inputs from stdin, one per line (end with Ctrl-D)...");
    }
    read_lines(stdin.lock())
}

/// The lines of `reader`, `\n` or `\r\n` removed.
fn read_lines(mut reader: impl BufRead) -> Result<Vec<String>, CliError> {
    let mut lines = Vec::new();
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|error| CliError(format!("cannot read stdin: {error}")))?;
        if read == 0 {
            return Ok(lines);
        }
        if buffer.last() == Some(&b'\n') {
            buffer.pop();
            if buffer.last() == Some(&b'\r') {
                buffer.pop();
            }
        }
        let line = String::from_utf8(std::mem::take(&mut buffer)).map_err(|error| {
            CliError(format!(
                "line {} of stdin is not valid UTF-8 ({error})",
                lines.len() + 1
            ))
        })?;
        lines.push(line);
    }
}

/// The progress bar over `total` inputs: drawn on stderr when it is a terminal, there are more
/// than a few inputs and `--quiet` is off; hidden otherwise.
fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    if quiet || total <= PROGRESS_MIN_INPUTS || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} inputs ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Runs `process` on the inputs `batch_size` at a time and writes its outputs to stdout, one
/// per line, in input order. `process` gets a batch and the index of its first input, and
/// returns one JSON text (without line end) per input of the batch.
///
/// # Errors
/// The first error of `process`; a batch with a wrong number of outputs; stdout errors (a
/// closed pipe ends the run quietly).
pub fn run_batches<F>(inputs: &[String], args: &InputArgs, mut process: F) -> Result<(), CliError>
where
    F: FnMut(&[&str], usize) -> Result<Vec<String>, CliError>,
{
    let bar = progress_bar(inputs.len(), args.quiet);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let texts: Vec<&str> = inputs.iter().map(String::as_str).collect();
    for (index, batch) in texts.chunks(args.batch_size.max(1)).enumerate() {
        let offset = index * args.batch_size.max(1);
        let outputs = match process(batch, offset) {
            Ok(outputs) => outputs,
            Err(error) => {
                bar.abandon();
                return Err(error);
            }
        };
        if outputs.len() != batch.len() {
            bar.abandon();
            return Err(CliError(format!(
                "the pipeline returned {} results for {} inputs (inputs {} to {})",
                outputs.len(),
                batch.len(),
                offset + 1,
                offset + batch.len()
            )));
        }
        let written = outputs
            .iter()
            .try_for_each(|line| writeln!(out, "{line}"))
            .and_then(|()| out.flush());
        match written {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                bar.finish_and_clear();
                return Ok(());
            }
            Err(error) => {
                bar.abandon();
                return Err(CliError(format!("cannot write to stdout: {error}")));
            }
        }
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::read_lines;

    #[test]
    fn lines_keep_empty_inputs_and_drop_line_ends() {
        let lines = read_lines(&b"a\n\nb\r\n \n"[..]).unwrap();
        assert_eq!(lines, ["a", "", "b", " "]);
        assert_eq!(read_lines(&b"last"[..]).unwrap(), ["last"]);
        assert!(read_lines(&b""[..]).unwrap().is_empty());
        assert!(read_lines(&b"ok\n\xff\n"[..])
            .unwrap_err()
            .0
            .contains("line 2"));
    }
}
