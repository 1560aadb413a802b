//! What `init` prints: shell code, modulefiles and Slurm TaskProlog lines,
//! from the templates in `templates/` (compiled into the binary), with every
//! value quoted for the language that reads it.

pub mod modulefile;
pub mod quote;
pub mod records;
pub mod shell;
pub mod template;
pub mod visible;

/// Slurm TaskProlog lines: `export NAME=value`, values quoted by [`quote::slurm`].
pub const SLURM_TEMPLATE: &str = include_str!("templates/slurm.txt");
