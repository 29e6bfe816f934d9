//! The `rimguard` binary's library: the gateway, the commands and the demo.
//!
//! The binary is a thin `clap` front over these modules; they are a library
//! so that the end-to-end tests drive the same code.

pub mod commands;
pub mod demo;
pub mod gateway;
