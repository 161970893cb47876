//! The state of a scan and the reason it was queued, stored as text.

use std::fmt;
use std::str::FromStr;

use sqlx::error::BoxDynError;

/// Declares a fieldless enum stored as one of fixed texts: `as_str`, `FromStr`, `Display`, and
/// decoding from a text column on either backend (bind with `as_str`).
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = crate::StoreError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(crate::StoreError::Corrupt(format!(
                        concat!(stringify!($name), " '{}'"),
                        s
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(text.parse()?)
            }
        }
    };
}

text_enum! {
    /// Where a scan is in its life.
    ScanState {
        /// Waiting for a worker.
        Queued = "QUEUED",
        /// Leased by a worker.
        Running = "RUNNING",
        /// Finished with results.
        Done = "DONE",
        /// Finished without results (the error says why).
        Failed = "FAILED",
        /// Cancelled before it finished.
        Cancelled = "CANCELLED",
    }
}

impl ScanState {
    /// Queued or running.
    pub fn is_active(self) -> bool {
        matches!(self, ScanState::Queued | ScanState::Running)
    }
}

text_enum! {
    /// Why a scan was queued.
    ScanReason {
        /// `POST .../scan/...`.
        Manual = "manual",
        /// A mass scan.
        Mass = "mass",
        /// The scan schedule.
        Schedule = "schedule",
        /// The hook let a push through without scanning it (`hookFailOpen`).
        Hook = "hook",
        /// A branch found created or moved on disk without its tip recorded (a process was
        /// stopped between git's ref update and the record).
        Reconcile = "reconcile",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip_and_unknown_texts_are_corrupt() {
        for s in ScanState::ALL {
            assert_eq!(s.as_str().parse::<ScanState>().unwrap(), *s);
        }
        for r in ScanReason::ALL {
            assert_eq!(r.to_string().parse::<ScanReason>().unwrap(), *r);
        }
        assert!(matches!(
            "NONE".parse::<ScanState>(),
            Err(crate::StoreError::Corrupt(_))
        ));
        assert!("Manual".parse::<ScanReason>().is_err());
    }
}
