//! Samples to frames for one asset: ordering, duplicates, channel mapping and the imputation of
//! values that must not reach a detector (quality `Bad` or `Missing`, or not sent at all).

use std::collections::HashMap;

use faultline_types::{ChannelSchema, RejectReason, Sample, Timestamp};

/// One asset's dense vector at one instant, in its schema's channel order, ready for a detector.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The sample's timestamp.
    pub ts: Timestamp,
    /// One value per schema channel, in schema order; every value is finite.
    pub values: Vec<f64>,
    /// How many of `values` were imputed rather than measured. A score computed on a frame with
    /// `imputed > 0` must say so.
    pub imputed: u32,
    /// Per channel: whether its value was measured in this sample (`false`: imputed). A value
    /// carried forward repeats the last one, which a detector must not read as the sensor
    /// repeating itself (the `default` detector's frozen-value check).
    pub measured: Vec<bool>,
}

/// What [`Framer::accept`] made of an accepted sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Framed {
    /// The frame.
    pub frame: Frame,
    /// Values of the sample that were ignored because their channel is not in the schema; the
    /// caller counts each one under [`RejectReason::UnknownChannel`].
    pub unknown_channels: u32,
}

/// Turns one asset's samples into [`Frame`]s, in order, without duplicates.
///
/// Rules, in the order they are checked:
/// 1. **Ordering.** A sample whose timestamp equals the last accepted one is
///    [`RejectReason::Duplicate`] (at-least-once delivery redelivers samples); an older one is
///    [`RejectReason::OutOfOrder`]. Rejected samples change nothing.
/// 2. **Finite values.** A NaN or infinite value anywhere in the sample is
///    [`RejectReason::NonFinite`] (decoders reject these already; this is a defensive check).
/// 3. **A channel given twice** in one sample is [`RejectReason::Malformed`]: which value is
///    meant cannot be known.
/// 4. **Channels.** Values for channels not in the schema are ignored and counted in
///    [`Framed::unknown_channels`]. A sample with no channel of the schema at all is
///    [`RejectReason::UnknownChannel`].
/// 5. **Quality and imputation.** Bad data never reaches a detector as a number (DESIGN §3).
///    A `Good` or `Uncertain` value is used as it is. A schema channel that is absent from the
///    sample, or whose quality is `Bad` or `Missing`, is **imputed with the last usable value of
///    that channel** (last observation carried forward) or, when the channel has had no usable
///    value since the framer was created, with its `fallback` (the model's training mean, so the
///    channel contributes nothing to the score). Each imputed channel counts in
///    [`Frame::imputed`], so the score can say it rests on imputed data. Imputed values never
///    become the "last usable value" themselves.
#[derive(Debug, Clone)]
pub struct Framer {
    schema: ChannelSchema,
    index: HashMap<String, usize>,
    /// Last usable value per channel; starts as the fallback.
    carried: Vec<f64>,
    last: Option<Timestamp>,
    /// Per channel: set while one sample is mapped (reused to avoid an allocation per sample).
    seen: Vec<bool>,
}

impl Framer {
    /// A framer for `schema`. `fallback` is the value imputed for a channel with no usable value
    /// yet (the model's training mean), one per schema channel.
    ///
    /// # Panics
    /// If `fallback` does not have one finite value per schema channel: that is a mismatch
    /// between a model and its schema, a programming error, not bad data.
    pub fn new(schema: ChannelSchema, fallback: Vec<f64>) -> Framer {
        assert_eq!(fallback.len(), schema.len(), "one fallback value per schema channel");
        assert!(fallback.iter().all(|v| v.is_finite()), "fallback values must be finite");
        let index = schema.names().enumerate().map(|(i, n)| (n.to_owned(), i)).collect();
        let seen = vec![false; schema.len()];
        Framer { schema, index, carried: fallback, last: None, seen }
    }

    /// The schema frames are laid out in.
    pub fn schema(&self) -> &ChannelSchema {
        &self.schema
    }

    /// After a restart: ordering continues from `last`, the timestamp of the last stored sample,
    /// so a redelivered sample is a duplicate and an older one is out of order.
    pub fn resume_after(&mut self, last: Timestamp) {
        self.last = Some(last);
    }

    /// The timestamp of the last accepted sample (or the one given to [`Framer::resume_after`]).
    pub fn last(&self) -> Option<Timestamp> {
        self.last
    }

    /// Whether [`Framer::accept`] would take the sample's channels, without framing it: not
    /// `Malformed` (a channel twice), not `UnknownChannel` (no channel of the schema at all).
    /// Lets a caller refuse such a sample before keeping it anywhere.
    pub fn check_channels(&self, sample: &Sample) -> Result<(), RejectReason> {
        let mut seen = vec![false; self.schema.len()];
        let mut known = 0;
        for v in &sample.values {
            if let Some(&i) = self.index.get(&v.channel) {
                if std::mem::replace(&mut seen[i], true) {
                    return Err(RejectReason::Malformed);
                }
                known += 1;
            }
        }
        if known == 0 {
            return Err(RejectReason::UnknownChannel);
        }
        Ok(())
    }

    /// Frames one sample, or says why it is rejected (see the rules on [`Framer`]). The sample's
    /// asset is not checked: routing samples to their asset's framer is the caller's job.
    pub fn accept(&mut self, sample: &Sample) -> Result<Framed, RejectReason> {
        if let Some(last) = self.last {
            if sample.ts == last {
                return Err(RejectReason::Duplicate);
            }
            if sample.ts < last {
                return Err(RejectReason::OutOfOrder);
            }
        }
        if sample.values.iter().any(|v| !v.value.is_finite()) {
            return Err(RejectReason::NonFinite);
        }
        let mapped = self.map_channels(sample);
        let (values, known, unknown_channels) = match mapped {
            Ok(m) => m,
            Err(reason) => {
                self.seen.fill(false);
                return Err(reason);
            }
        };
        if known == 0 {
            self.seen.fill(false);
            return Err(RejectReason::UnknownChannel);
        }
        Ok(self.commit(sample.ts, values, unknown_channels))
    }

    /// Places the sample's values in schema order. Returns the values (usable ones set, others
    /// NaN for now), the number of schema channels present and the number of unknown ones.
    fn map_channels(&mut self, sample: &Sample) -> Result<(Vec<f64>, usize, u32), RejectReason> {
        let mut values = vec![f64::NAN; self.schema.len()];
        let mut known = 0;
        let mut unknown = 0u32;
        for v in &sample.values {
            let Some(&i) = self.index.get(&v.channel) else {
                unknown = unknown.saturating_add(1);
                continue;
            };
            if std::mem::replace(&mut self.seen[i], true) {
                return Err(RejectReason::Malformed);
            }
            known += 1;
            if v.quality.is_usable() {
                values[i] = v.value;
            }
        }
        Ok((values, known, unknown))
    }

    /// Imputes what is not usable, remembers what is, and advances the ordering.
    fn commit(&mut self, ts: Timestamp, mut values: Vec<f64>, unknown_channels: u32) -> Framed {
        let mut imputed = 0u32;
        let mut measured = vec![true; values.len()];
        for ((value, carried), measured) in
            values.iter_mut().zip(&mut self.carried).zip(&mut measured)
        {
            if value.is_nan() {
                *value = *carried;
                *measured = false;
                imputed += 1;
            } else {
                *carried = *value;
            }
        }
        self.seen.fill(false);
        self.last = Some(ts);
        Framed { frame: Frame { ts, values, imputed, measured }, unknown_channels }
    }
}

#[cfg(test)]
mod tests {
    use faultline_types::{ChannelValue, Quality};

    use super::*;

    fn framer() -> Framer {
        let schema = ChannelSchema::from_names(["a", "b", "c"]).unwrap();
        Framer::new(schema, vec![10.0, 20.0, 30.0])
    }

    fn sample(ts: i64, values: &[(&str, f64, Quality)]) -> Sample {
        Sample {
            asset: "press".into(),
            ts: Timestamp::from_nanos(ts),
            values: values
                .iter()
                .map(|&(c, value, quality)| ChannelValue { channel: c.into(), value, quality })
                .collect(),
            context: Vec::new(),
        }
    }

    use Quality::{Bad, Good, Missing, Uncertain};

    #[test]
    fn complete_sample_becomes_a_frame_in_schema_order() {
        let mut f = framer();
        let out = f.accept(&sample(5, &[("c", 3.0, Good), ("a", 1.0, Good), ("b", 2.0, Good)]));
        let framed = out.unwrap();
        assert_eq!(
            framed,
            Framed {
                frame: Frame {
                    ts: Timestamp::from_nanos(5),
                    values: vec![1.0, 2.0, 3.0],
                    imputed: 0,
                    measured: vec![true; 3],
                },
                unknown_channels: 0
            }
        );
        assert_eq!(f.last(), Some(Timestamp::from_nanos(5)));
    }

    #[test]
    fn duplicates_and_out_of_order_samples_are_rejected_without_effect() {
        let mut f = framer();
        f.accept(&sample(10, &[("a", 1.0, Good)])).unwrap();
        assert_eq!(f.accept(&sample(10, &[("a", 99.0, Good)])), Err(RejectReason::Duplicate));
        assert_eq!(f.accept(&sample(9, &[("a", 99.0, Good)])), Err(RejectReason::OutOfOrder));
        assert_eq!(f.last(), Some(Timestamp::from_nanos(10)));
        // The rejected values were not remembered as the last usable ones.
        let next = f.accept(&sample(11, &[("b", 2.0, Good)])).unwrap();
        assert_eq!(next.frame.values, vec![1.0, 2.0, 30.0]);
    }

    #[test]
    fn resume_after_continues_the_ordering() {
        let mut f = framer();
        assert_eq!(f.last(), None);
        f.resume_after(Timestamp::from_nanos(100));
        assert_eq!(f.last(), Some(Timestamp::from_nanos(100)));
        assert_eq!(f.accept(&sample(100, &[("a", 1.0, Good)])), Err(RejectReason::Duplicate));
        assert_eq!(f.accept(&sample(50, &[("a", 1.0, Good)])), Err(RejectReason::OutOfOrder));
        assert!(f.accept(&sample(101, &[("a", 1.0, Good)])).is_ok());
    }

    #[test]
    fn negative_timestamps_are_ordered_too() {
        let mut f = framer();
        f.accept(&sample(-10, &[("a", 1.0, Good)])).unwrap();
        assert_eq!(f.accept(&sample(-11, &[("a", 1.0, Good)])), Err(RejectReason::OutOfOrder));
        assert!(f.accept(&sample(-9, &[("a", 1.0, Good)])).is_ok());
    }

    #[test]
    fn missing_channels_take_the_fallback_then_the_last_usable_value() {
        let mut f = framer();
        let first = f.accept(&sample(1, &[("a", 1.0, Good)])).unwrap().frame;
        assert_eq!((first.values, first.imputed), (vec![1.0, 20.0, 30.0], 2));
        let second = f.accept(&sample(2, &[("b", 2.0, Good), ("c", 3.0, Good)])).unwrap().frame;
        assert_eq!((second.values, second.imputed), (vec![1.0, 2.0, 3.0], 1));
        let third = f.accept(&sample(3, &[("c", 4.0, Good)])).unwrap().frame;
        assert_eq!((third.values, third.imputed), (vec![1.0, 2.0, 4.0], 2));
    }

    #[test]
    fn bad_and_missing_quality_are_imputed_uncertain_is_used() {
        let mut f = framer();
        f.accept(&sample(1, &[("a", 1.0, Good), ("b", 2.0, Good), ("c", 3.0, Good)])).unwrap();
        let frame = f
            .accept(&sample(2, &[("a", -500.0, Bad), ("b", 7.0, Uncertain), ("c", 0.0, Missing)]))
            .unwrap()
            .frame;
        assert_eq!((frame.values, frame.imputed), (vec![1.0, 7.0, 3.0], 2));
        assert_eq!(frame.measured, vec![false, true, false], "which values were measured");
        // A bad value is never carried forward: the next gap still imputes the last good one.
        let frame = f.accept(&sample(3, &[("b", 8.0, Good)])).unwrap().frame;
        assert_eq!((frame.values, frame.imputed), (vec![1.0, 8.0, 3.0], 2));
    }

    #[test]
    fn a_sample_with_only_unusable_known_channels_is_framed_fully_imputed() {
        let mut f = framer();
        let framed = f.accept(&sample(1, &[("a", 1.0, Bad), ("zz", 1.0, Good)])).unwrap();
        assert_eq!(framed.frame.values, vec![10.0, 20.0, 30.0]);
        assert_eq!((framed.frame.imputed, framed.unknown_channels), (3, 1));
    }

    #[test]
    fn unknown_channels_are_counted_and_ignored() {
        let mut f = framer();
        let framed =
            f.accept(&sample(1, &[("a", 1.0, Good), ("x", 5.0, Good), ("y", 6.0, Bad)])).unwrap();
        assert_eq!(framed.unknown_channels, 2);
        assert_eq!(framed.frame.values, vec![1.0, 20.0, 30.0]);
    }

    #[test]
    fn a_sample_without_known_channels_is_unknown_channel_and_changes_nothing() {
        let mut f = framer();
        assert_eq!(f.accept(&sample(1, &[("x", 5.0, Good)])), Err(RejectReason::UnknownChannel));
        assert_eq!(f.accept(&sample(1, &[])), Err(RejectReason::UnknownChannel));
        assert_eq!(f.last(), None);
        assert!(f.accept(&sample(1, &[("a", 1.0, Good)])).is_ok());
    }

    #[test]
    fn non_finite_values_are_rejected_defensively() {
        let mut f = framer();
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                f.accept(&sample(1, &[("a", 1.0, Good), ("b", bad, Bad)])),
                Err(RejectReason::NonFinite)
            );
            assert_eq!(f.accept(&sample(1, &[("x", bad, Good)])), Err(RejectReason::NonFinite));
        }
        assert_eq!(f.last(), None);
    }

    #[test]
    fn a_channel_given_twice_is_malformed_and_changes_nothing() {
        let mut f = framer();
        assert_eq!(
            f.accept(&sample(1, &[("a", 1.0, Good), ("a", 2.0, Good)])),
            Err(RejectReason::Malformed)
        );
        assert_eq!(f.last(), None);
        // The per-sample bookkeeping was reset: the next sample maps normally.
        let framed = f.accept(&sample(1, &[("a", 3.0, Good)])).unwrap();
        assert_eq!(framed.frame.values, vec![3.0, 20.0, 30.0]);
    }

    #[test]
    fn empty_schema_accepts_nothing() {
        let mut f = Framer::new(ChannelSchema::default(), Vec::new());
        assert_eq!(f.accept(&sample(1, &[("a", 1.0, Good)])), Err(RejectReason::UnknownChannel));
    }

    #[test]
    #[should_panic(expected = "one fallback value per schema channel")]
    fn fallback_must_match_the_schema() {
        let schema = ChannelSchema::from_names(["a", "b"]).unwrap();
        let _ = Framer::new(schema, vec![0.0]);
    }
}
