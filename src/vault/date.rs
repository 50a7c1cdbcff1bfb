//! Calendar dates as notes write them (`date_creation: 2025-04-08`).

use std::fmt;

/// A day of the Gregorian calendar, read from an ISO `YYYY-MM-DD` value.
///
/// ```
/// let date: savoir::vault::Date = "2025-04-08".parse().unwrap();
/// assert_eq!((date.year, date.month, date.day), (2025, 4, 8));
/// assert!("2025-13-45".parse::<savoir::vault::Date>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year (four digits).
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
}

/// Why a value is not a `YYYY-MM-DD` date; its text says so in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Not four digits, `-`, two digits, `-`, two digits.
    #[error("not in the form YYYY-MM-DD")]
    Malformed,
    /// A month outside 1–12.
    #[error("there is no month {month}")]
    NoSuchMonth {
        /// The month written.
        month: u8,
    },
    /// A day the month does not have.
    #[error("month {month} of {year} has no day {day}")]
    NoSuchDay {
        /// The year written.
        year: u16,
        /// The month written.
        month: u8,
        /// The day written.
        day: u8,
    },
}

impl std::str::FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = text.trim().split('-').collect();
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if parts.len() != 3 || !digits(parts[0], 4) || !digits(parts[1], 2) || !digits(parts[2], 2)
        {
            return Err(DateError::Malformed);
        }
        let year: u16 = parts[0].parse().map_err(|_| DateError::Malformed)?;
        let month: u8 = parts[1].parse().map_err(|_| DateError::Malformed)?;
        let day: u8 = parts[2].parse().map_err(|_| DateError::Malformed)?;
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(DateError::NoSuchMonth { month }),
        };
        if day == 0 || day > days {
            return Err(DateError::NoSuchDay { year, month, day });
        }
        Ok(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iso_dates_and_rejects_impossible_ones() {
        let date: Date = " 2024-02-29 ".parse().unwrap();
        assert_eq!(date.to_string(), "2024-02-29");
        assert_eq!(
            "2023-02-29".parse::<Date>(),
            Err(DateError::NoSuchDay {
                year: 2023,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            "2025-00-01".parse::<Date>(),
            Err(DateError::NoSuchMonth { month: 0 })
        );
        for bad in ["hier", "08/04/2025", "2025-4-8", "2025-04-08T10:00"] {
            assert_eq!(bad.parse::<Date>(), Err(DateError::Malformed), "{bad}");
        }
        assert!(
            Date {
                year: 2025,
                month: 4,
                day: 8
            } > Date {
                year: 2024,
                month: 12,
                day: 31
            }
        );
    }
}
