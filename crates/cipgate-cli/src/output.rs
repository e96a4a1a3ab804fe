//! Standard output for what the commands print. A reader may stop early
//! (`cipgate test ... | head -1`): the program then stops quietly with status 0, as ripgrep
//! does, where `println!` would panic (Rust ignores SIGPIPE, so the write fails instead).

use std::fmt;
use std::io::{self, Write};

/// `print!` to standard output, stopping the program if it is closed.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*), false)
    };
}

/// `println!` to standard output, stopping the program if it is closed.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*), true)
    };
}

/// Writes `text` (and a newline) and flushes it, so that a closed pipe is noticed here.
pub fn write(text: fmt::Arguments<'_>, newline: bool) {
    let mut stdout = io::stdout().lock();
    let written = stdout
        .write_fmt(text)
        .and_then(|()| {
            if newline {
                stdout.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            std::process::exit(1)
        }
    }
}
