//! What `init` prints: shell code, modulefiles and Slurm TaskProlog lines,
//! from the templates in `templates/` (compiled into the binary), with every
//! value quoted for the language that reads it.

pub mod modulefile;
pub mod quote;
pub mod shell;
