//! Mesos v1 messages (`package mesos.v1` and `mesos.v1.scheduler`), written by hand as prost
//! types with Mesos's own field numbers, labels and defaults.
//!
//! The field set is Mesos 1.4.3's (`include/mesos/v1/mesos.proto`,
//! `include/mesos/v1/scheduler/scheduler.proto`): that is the release whose generated Java
//! classes Spark 3.5 ships, and the golden vectors in `mesos/tests/` are made with them.
//! Enumerations also carry the values newer masters send (more task status reasons, newer
//! call and event types), so decoding a newer master's messages keeps their names.
//!
//! Conventions follow `prost-build`'s output for proto2: optional fields are `Option`s,
//! enum fields hold the raw `i32` (read them through the generated accessors, which fall back
//! to the declared default), nested messages live in a snake_case module named after their
//! parent (`Resource.ReservationInfo` is [`resource::ReservationInfo`]), repeated scalars are
//! unpacked. Every enumeration also knows its value names ([`as_str_name`] /
//! [`from_str_name`]), which Mesos's JSON uses.
//!
//! [`as_str_name`]: TaskState::as_str_name
//! [`from_str_name`]: TaskState::from_str_name

/// Declares a proto enumeration: the prost `Enumeration` plus its value names as the `.proto`
/// file spells them.
macro_rules! proto_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
        #[repr(i32)]
        pub enum $name {
            $( $(#[$vmeta])* $variant = $value, )+
        }

        impl $name {
            /// The value's name as the `.proto` file (and Mesos's JSON) spells it.
            pub fn as_str_name(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )+
                }
            }

            /// The value the `.proto` file names `name`, if any.
            pub fn from_str_name(name: &str) -> Option<Self> {
                match name {
                    $( $text => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl $crate::proto::ProtoEnum for $name {
            fn name_of(value: i32) -> Option<&'static str> {
                Self::try_from(value).ok().map(Self::as_str_name)
            }

            fn value_of(name: &str) -> Option<i32> {
                Self::from_str_name(name).map(|v| v as i32)
            }
        }
    };
}

/// A proto enumeration seen through its raw values, as message fields hold them.
pub trait ProtoEnum {
    /// The name of `value`, if it is one of the enum's.
    fn name_of(value: i32) -> Option<&'static str>;
    /// The value named `name`, if any.
    fn value_of(name: &str) -> Option<i32>;
}

mod common;
mod container;
mod framework;
mod ids;
mod master;
mod offers;
mod resources;
pub mod scheduler;
mod status;
mod task;

pub use common::*;
pub use container::*;
pub use framework::*;
pub use ids::*;
pub use master::*;
pub use offers::*;
pub use resources::*;
pub use status::*;
pub use task::*;

#[cfg(test)]
mod tests;
