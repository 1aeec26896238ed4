//! Finding a commune from the way a monitor writes its name.

use std::collections::HashMap;
use std::ops::Range;

use geo::InteriorPoint;

use super::tokens::{Token, tokenize};
use super::vocabulary::{is_filler, is_place_preposition};
use crate::{ZoneId, ZoneLevel, ZoneRef, ZoneSet, fold_name};

/// Names shorter than this (folded) are recognised only where a place is expected: at the
/// start of a group of words, or after `à`, `de`, `in`… (`Sy`, `Gao`, `Bla` are also words).
const SHORT_NAME_LETTERS: usize = 4;
/// Most suggestions offered for an unknown name.
const MAX_SUGGESTIONS: usize = 3;
/// Most wrong letters between a written name and a suggestion.
const MAX_SUGGESTION_DISTANCE: usize = 4;
/// Words of a run read when looking for a misspelt name.
const MAX_FUZZY_WORDS: usize = 10;
/// Characters of a written name echoed back in a clarification.
const MAX_WRITTEN_CHARS: usize = 30;

/// One commune as the directory knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneEntry {
    /// P-code.
    pub id: ZoneId,
    /// Display name (`Ténenkou Commune`).
    pub name: String,
    /// Its cercle, when the zone set has one.
    pub cercle: Option<ZoneRef>,
    /// Its region, when the zone set has one.
    pub region: Option<ZoneRef>,
    /// A point inside the commune (`geo::InteriorPoint` of its polygon), lon/lat: where a
    /// report that names only the commune is placed. `None` for a commune without geometry.
    pub representative_point: Option<(f64, f64)>,
}

impl CommuneEntry {
    /// Its id and name.
    pub fn to_ref(&self) -> ZoneRef {
        ZoneRef {
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }
}

/// What a written name resolved to.
#[derive(Debug, Clone, PartialEq)]
pub enum CommuneLookup<'directory> {
    /// One commune.
    Found {
        /// The commune.
        commune: &'directory CommuneEntry,
        /// Whether a misspelling was forgiven.
        fuzzy: bool,
    },
    /// A name several communes share, not told apart by a cercle or region name.
    Ambiguous {
        /// The name as written.
        written: String,
        /// The communes it may be, in P-code order.
        candidates: Vec<&'directory CommuneEntry>,
    },
    /// Words that name no commune.
    Unknown {
        /// The words as written (at most 30 characters, without numbers).
        written: String,
        /// Up to three communes with the nearest names, nearest first.
        suggestions: Vec<&'directory CommuneEntry>,
    },
    /// No words that could be a commune.
    Missing,
}

/// One searchable form of a name and the communes that answer to it.
#[derive(Debug, Clone)]
struct NameKey {
    folded: String,
    /// [`sound_key`] of `folded`.
    sound: String,
    communes: Vec<usize>,
}

/// Every commune of a zone set, reachable by the names people write.
///
/// A commune answers to its display name (`Ténenkou Commune`), its ASCII spelling and, for
/// urban communes, its name without the trailing ` Commune` (`Ségou`); Bamako's `Commune III`
/// also answers to `Commune 3`. Comparison ignores case, accents, hyphens, apostrophes and
/// spacing ([`fold_name`]). Names of 6 letters or more forgive one wrong letter (10 or more:
/// two) when exactly one name is that close. Several communes share a name (`Benkadi` ×4): a
/// cercle or region name elsewhere in the message tells them apart (`Benkadi Dioila`).
///
/// Built once from the zone set, including a representative point per commune.
#[derive(Debug, Clone)]
pub struct CommuneDirectory {
    entries: Vec<CommuneEntry>,
    by_id: HashMap<ZoneId, usize>,
    /// Sorted by folded form, so suggestions come out in a stable order.
    names: Vec<NameKey>,
    by_name: HashMap<String, usize>,
    /// Folded cercle and region names of each entry, for telling homonyms apart.
    area_names: Vec<(Option<String>, Option<String>)>,
    /// The communes of each cercle, by the cercle's folded name.
    cercle_communes: HashMap<String, Vec<usize>>,
    /// The most words a name spans (plus one for a trailing `Commune`).
    max_name_words: usize,
}

impl CommuneDirectory {
    /// Indexes every commune of `zones` by its names and computes its representative point.
    pub fn new(zones: &ZoneSet) -> CommuneDirectory {
        let cercles = zones.index_by_id(ZoneLevel::Cercle);
        let regions = zones.index_by_id(ZoneLevel::Region);
        let mut entries = Vec::with_capacity(zones.communes.len());
        let mut area_names = Vec::with_capacity(zones.communes.len());
        for commune in &zones.communes {
            let cercle = commune
                .parent
                .as_ref()
                .and_then(|parent| cercles.get(parent))
                .map(|&position| &zones.cercles[position]);
            let region = cercle
                .and_then(|cercle| cercle.parent.as_ref())
                .and_then(|parent| regions.get(parent))
                .map(|&position| &zones.regions[position]);
            let representative_point = commune
                .geometry
                .interior_point()
                .map(|point| (point.x(), point.y()));
            area_names.push((
                cercle.map(|zone| fold_name(&zone.name)),
                region.map(|zone| fold_name(&zone.name)),
            ));
            entries.push(CommuneEntry {
                id: commune.id.clone(),
                name: commune.name.trim().to_owned(),
                cercle: cercle.map(|zone| zone.to_ref()),
                region: region.map(|zone| zone.to_ref()),
                representative_point,
            });
        }

        let mut keyed: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, entry) in entries.iter().enumerate() {
            let folded = fold_name(&entry.name);
            if !folded.is_empty() {
                keyed.entry(folded).or_default().push(position);
            }
        }
        // Aliases never take a name from a commune whose own name it is.
        let mut aliases: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, entry) in entries.iter().enumerate() {
            for alias in name_aliases(&entry.name) {
                if !alias.is_empty() && !keyed.contains_key(&alias) {
                    aliases.entry(alias).or_default().push(position);
                }
            }
        }
        keyed.extend(aliases);
        let mut cercle_communes: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, (cercle, _)) in area_names.iter().enumerate() {
            if let Some(cercle) = cercle {
                cercle_communes
                    .entry(cercle.clone())
                    .or_default()
                    .push(position);
            }
        }
        // A cercle named after its seat (`Gourma-Rharous`, seat `Rharous`) is how people name
        // the town; the name goes to that commune unless a commune already has it.
        for (cercle, communes) in &cercle_communes {
            if keyed.contains_key(cercle) {
                continue;
            }
            let seats: Vec<usize> = communes
                .iter()
                .copied()
                .filter(|&commune| {
                    let name = fold_name(&entries[commune].name);
                    name.len() >= SHORT_NAME_LETTERS && cercle.contains(&name)
                })
                .collect();
            if let [seat] = seats.as_slice() {
                keyed.insert(cercle.clone(), vec![*seat]);
            }
        }
        let mut names: Vec<NameKey> = keyed
            .into_iter()
            .map(|(folded, communes)| NameKey {
                sound: sound_key(&folded),
                folded,
                communes,
            })
            .collect();
        names.sort_by(|left, right| left.folded.cmp(&right.folded));
        let by_name = names
            .iter()
            .enumerate()
            .map(|(position, key)| (key.folded.clone(), position))
            .collect();
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(position, entry)| (entry.id.clone(), position))
            .collect();
        let max_name_words = entries
            .iter()
            .map(|entry| tokenize(&entry.name).len())
            .max()
            .unwrap_or(1)
            + 1;
        CommuneDirectory {
            entries,
            by_id,
            names,
            by_name,
            area_names,
            cercle_communes,
            max_name_words,
        }
    }

    /// Every commune, in zone-set order.
    pub fn communes(&self) -> &[CommuneEntry] {
        &self.entries
    }

    /// The commune with this P-code.
    pub fn commune(&self, id: &ZoneId) -> Option<&CommuneEntry> {
        self.by_id.get(id).map(|&position| &self.entries[position])
    }

    /// Resolves a commune written in a form field: a P-code (`ML050303`) or a name, optionally
    /// followed by its cercle (`Benkadi Dioila`).
    ///
    /// ```
    /// # use vigie_domain::{Zone, ZoneId, ZoneLevel, ZoneSet};
    /// # use vigie_domain::sms::{CommuneDirectory, CommuneLookup};
    /// # use geo_types::{MultiPolygon, polygon};
    /// # let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
    /// # let commune = Zone { id: ZoneId::new("ML050303").unwrap(), name: "Diallassagou".into(),
    /// #     level: ZoneLevel::Commune, parent: None, geometry: MultiPolygon(vec![square]) };
    /// # let zones = ZoneSet { name: "x".into(), attribution: String::new(), regions: vec![],
    /// #     cercles: vec![], communes: vec![commune], corridors: vec![] };
    /// let directory = CommuneDirectory::new(&zones);
    /// let CommuneLookup::Found { commune, fuzzy } = directory.lookup("Dialassagou") else { panic!() };
    /// assert_eq!((commune.id.as_str(), fuzzy), ("ML050303", true));
    /// ```
    pub fn lookup(&self, text: &str) -> CommuneLookup<'_> {
        if let Ok(id) = ZoneId::new(text)
            && let Some(entry) = self.commune(&id)
        {
            return CommuneLookup::Found {
                commune: entry,
                fuzzy: false,
            };
        }
        let tokens = tokenize(text);
        let available = vec![true; tokens.len()];
        self.resolve(&tokens, &available, Suggestions::Wanted)
    }

    /// Finds the commune among the words of a message that are not already understood as
    /// something else (`available[i]` is false for incident words, casualties, dates…).
    ///
    /// Words are read in groups of consecutive available words, first group first: in a group,
    /// the first exact name wins (earliest, then longest), failing that the first name within
    /// the misspelling allowance. A group that names nothing passes to the next; when none
    /// names anything, the first group is reported unknown with the nearest names.
    ///
    /// Suggestions for an unknown name cost a comparison with every name; callers that will
    /// not show them say so.
    pub(crate) fn resolve(
        &self,
        tokens: &[Token<'_>],
        available: &[bool],
        suggestions: Suggestions,
    ) -> CommuneLookup<'_> {
        let runs = available_runs(available);
        for run in &runs {
            if let Some(found) = self.first_exact_match(tokens, run.clone()) {
                if let Some(corrected) = self.misspelt_name_before_its_cercle(tokens, run, &found) {
                    return self.disambiguate(tokens, available, corrected, true);
                }
                return self.disambiguate(tokens, available, found, false);
            }
            match self.first_fuzzy_match(tokens, run.clone()) {
                FuzzyOutcome::None => {}
                FuzzyOutcome::Unique(found) => {
                    return self.disambiguate(tokens, available, found, true);
                }
                FuzzyOutcome::Several { span, names } => {
                    return CommuneLookup::Unknown {
                        written: written_text(tokens, span),
                        suggestions: self.suggestions_from_names(&names),
                    };
                }
            }
        }
        let Some(first_run) = runs.first() else {
            return CommuneLookup::Missing;
        };
        let written = written_text(tokens, first_run.clone());
        if written.is_empty() {
            return CommuneLookup::Missing;
        }
        CommuneLookup::Unknown {
            written,
            suggestions: match suggestions {
                Suggestions::Wanted => self.nearest_names(tokens, first_run.clone()),
                Suggestions::NotWanted => Vec::new(),
            },
        }
    }

    fn first_exact_match(&self, tokens: &[Token<'_>], run: Range<usize>) -> Option<NameMatch> {
        for start in run.clone() {
            let longest = self.max_name_words.min(run.end - start);
            for length in (1..=longest).rev() {
                let span = start..start + length;
                let folded = concatenated(tokens, span.clone());
                let Some(&name) = self.by_name.get(&folded) else {
                    continue;
                };
                let expected_here =
                    start == run.start || is_place_preposition(tokens[start - 1].word());
                if folded.len() < SHORT_NAME_LETTERS && !expected_here {
                    continue;
                }
                return Some(NameMatch { name, span });
            }
        }
        None
    }

    /// `Dialassagou Bankass attaque`: the exact name (`Bankass`, a commune too) is the cercle
    /// of a misspelt commune written just before it. The writer meant the misspelt one.
    fn misspelt_name_before_its_cercle(
        &self,
        tokens: &[Token<'_>],
        run: &Range<usize>,
        found: &NameMatch,
    ) -> Option<NameMatch> {
        if found.span.start == run.start {
            return None;
        }
        let FuzzyOutcome::Unique(corrected) =
            self.first_fuzzy_match(tokens, run.start..found.span.start)
        else {
            return None;
        };
        let area = &self.names[found.name].folded;
        let confirms = self.names[corrected.name].communes.iter().any(|&commune| {
            let (cercle, region) = &self.area_names[commune];
            cercle.as_ref() == Some(area) || region.as_ref() == Some(area)
        });
        confirms.then_some(corrected)
    }

    fn first_fuzzy_match(&self, tokens: &[Token<'_>], run: Range<usize>) -> FuzzyOutcome {
        let run = run.start..run.end.min(run.start + MAX_FUZZY_WORDS);
        for start in run.clone() {
            let longest = self.max_name_words.min(run.end - start);
            for length in (1..=longest).rev() {
                let span = start..start + length;
                if !is_name_like(&tokens[span.clone()]) {
                    continue;
                }
                let written = concatenated(tokens, span.clone());
                let close: Vec<usize> = self
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(_, key)| {
                        let allowance = misspelling_allowance(key.folded.len());
                        allowance > 0
                            && edit_distance_within(&written, &key.folded, allowance).is_some()
                    })
                    .map(|(position, _)| position)
                    .collect();
                match close.len() {
                    0 => continue,
                    1 => {
                        return FuzzyOutcome::Unique(NameMatch {
                            name: close[0],
                            span,
                        });
                    }
                    _ => return FuzzyOutcome::Several { span, names: close },
                }
            }
        }
        FuzzyOutcome::None
    }

    /// Narrows a shared name with a cercle (or else region) name written anywhere else in the
    /// message.
    fn disambiguate(
        &self,
        tokens: &[Token<'_>],
        available: &[bool],
        found: NameMatch,
        fuzzy: bool,
    ) -> CommuneLookup<'_> {
        let candidates = &self.names[found.name].communes;
        if let [only] = candidates.as_slice() {
            if let Some(better) =
                self.closer_name_in_written_cercle(tokens, available, &found, *only)
            {
                return CommuneLookup::Found {
                    commune: &self.entries[better],
                    fuzzy: true,
                };
            }
            return CommuneLookup::Found {
                commune: &self.entries[*only],
                fuzzy,
            };
        }
        let named_area = |level: AreaLevel| -> Vec<usize> {
            candidates
                .iter()
                .copied()
                .filter(|&commune| {
                    let (cercle, region) = &self.area_names[commune];
                    let area = match level {
                        AreaLevel::Cercle => cercle,
                        AreaLevel::Region => region,
                    };
                    let Some(area) = area else {
                        return false;
                    };
                    spans_outside(tokens, available, &found.span, 3).any(|written| {
                        edit_distance_within(&written, area, misspelling_allowance(area.len()))
                            .is_some()
                    })
                })
                .collect()
        };
        let mut narrowed = named_area(AreaLevel::Cercle);
        if narrowed.is_empty() {
            narrowed = named_area(AreaLevel::Region);
        }
        match narrowed.as_slice() {
            [only] => CommuneLookup::Found {
                commune: &self.entries[*only],
                fuzzy,
            },
            _ => {
                let chosen = if narrowed.is_empty() {
                    candidates.clone()
                } else {
                    narrowed
                };
                let mut options: Vec<&CommuneEntry> = chosen
                    .iter()
                    .map(|&commune| &self.entries[commune])
                    .collect();
                options.sort_by(|left, right| left.id.cmp(&right.id));
                CommuneLookup::Ambiguous {
                    written: written_text(tokens, found.span),
                    candidates: options,
                }
            }
        }
    }

    /// `Boura Ansongo`: `Boura` is a commune of Yorosso, but the message names the cercle of
    /// Ansongo, which has a `Bourra`. When the cercle written contradicts the commune found and
    /// exactly one commune of that cercle has a name within the misspelling allowance (at least
    /// one letter), the writer meant that one.
    fn closer_name_in_written_cercle(
        &self,
        tokens: &[Token<'_>],
        available: &[bool],
        found: &NameMatch,
        commune: usize,
    ) -> Option<usize> {
        let own_cercle = self.area_names[commune].0.as_ref();
        let written = concatenated(tokens, found.span.clone());
        let mut closer = Vec::new();
        for cercle_written in spans_outside(tokens, available, &found.span, 3) {
            if own_cercle == Some(&cercle_written) {
                return None;
            }
            let Some(communes) = self.cercle_communes.get(&cercle_written) else {
                continue;
            };
            for &other in communes {
                let name = fold_name(&self.entries[other].name);
                let allowance = misspelling_allowance(name.len()).max(1);
                if other != commune
                    && edit_distance_within(&written, &name, allowance).is_some()
                    && !closer.contains(&other)
                {
                    closer.push(other);
                }
            }
        }
        match closer.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }

    fn suggestions_from_names(&self, names: &[usize]) -> Vec<&CommuneEntry> {
        let mut suggestions: Vec<&CommuneEntry> = Vec::new();
        for &name in names {
            for &commune in &self.names[name].communes {
                let entry = &self.entries[commune];
                if !suggestions.iter().any(|known| known.name == entry.name) {
                    suggestions.push(entry);
                }
            }
        }
        suggestions.truncate(MAX_SUGGESTIONS);
        suggestions
    }

    /// The communes whose names are nearest to any group of words in `run`: ranked by how
    /// they sound ([`sound_key`]: `Dialasagu` sounds like `Diallassagou`), then by spelling,
    /// keeping only those that sound within one letter of the nearest.
    fn nearest_names(&self, tokens: &[Token<'_>], run: Range<usize>) -> Vec<&CommuneEntry> {
        let run = run.start..run.end.min(run.start + MAX_FUZZY_WORDS);
        // Per name: (distance by sound, distance by spelling).
        let mut best: HashMap<usize, (usize, usize)> = HashMap::new();
        for start in run.clone() {
            let longest = self.max_name_words.min(run.end - start);
            for length in 1..=longest {
                let span = start..start + length;
                if !is_name_like(&tokens[span.clone()]) {
                    continue;
                }
                let written = concatenated(tokens, span);
                let written_sound = sound_key(&written);
                // Far enough to catch a few wrong letters, near enough not to suggest noise.
                let limit = (written.len() * 2 / 5).clamp(2, MAX_SUGGESTION_DISTANCE);
                for (position, key) in self.names.iter().enumerate() {
                    let spelling = edit_distance_within(&written, &key.folded, limit);
                    let sound = edit_distance_within(&written_sound, &key.sound, limit);
                    if spelling.is_none() && sound.is_none() {
                        continue;
                    }
                    let too_far = limit + 1;
                    let rank = (sound.unwrap_or(too_far), spelling.unwrap_or(too_far));
                    let entry = best.entry(position).or_insert(rank);
                    *entry = (*entry).min(rank);
                }
            }
        }
        let Some(nearest_sound) = best.values().map(|&(sound, _)| sound).min() else {
            return Vec::new();
        };
        let mut ranked: Vec<(usize, (usize, usize))> = best
            .into_iter()
            .filter(|&(_, (sound, _))| sound <= nearest_sound + 1)
            .collect();
        ranked.sort_by(|left, right| {
            (left.1, &self.names[left.0].folded).cmp(&(right.1, &self.names[right.0].folded))
        });
        let names: Vec<usize> = ranked.into_iter().map(|(name, _)| name).collect();
        self.suggestions_from_names(&names)
    }
}

/// How a folded name sounds, roughly: `ou` as `u`, doubled letters single. Malian names are
/// transcribed many ways (`Diallassagou`, `Dialasagu`), mostly along these lines.
fn sound_key(folded: &str) -> String {
    let mut key = String::with_capacity(folded.len());
    for character in folded.replace("ou", "u").chars() {
        if !key.ends_with(character) {
            key.push(character);
        }
    }
    key
}

/// Whether an unknown name should come with suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suggestions {
    Wanted,
    NotWanted,
}

/// A name found in the message: which name, and which words spelt it.
#[derive(Debug, Clone)]
struct NameMatch {
    name: usize,
    span: Range<usize>,
}

/// The areas whose names tell homonymous communes apart.
#[derive(Debug, Clone, Copy)]
enum AreaLevel {
    Cercle,
    Region,
}

enum FuzzyOutcome {
    None,
    Unique(NameMatch),
    Several {
        span: Range<usize>,
        names: Vec<usize>,
    },
}

/// The other folded forms a display name answers to: without a trailing ` Commune` (urban
/// communes), and with a trailing Roman numeral as digits (Bamako's `Commune III`).
fn name_aliases(name: &str) -> Vec<String> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let mut aliases = Vec::new();
    if let [head @ .., last] = words.as_slice() {
        if !head.is_empty() && last.eq_ignore_ascii_case("commune") {
            aliases.push(fold_name(&head.join(" ")));
        }
        if let Some(number) = roman_numeral(last)
            && !head.is_empty()
        {
            aliases.push(format!("{}{number}", fold_name(&head.join(" "))));
        }
    }
    aliases
}

fn roman_numeral(word: &str) -> Option<u32> {
    const NUMERALS: [&str; 10] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"];
    NUMERALS
        .iter()
        .position(|numeral| *numeral == word)
        .map(|position| position as u32 + 1)
}

/// How many wrong letters a name of this many letters forgives.
fn misspelling_allowance(letters: usize) -> usize {
    match letters {
        0..=5 => 0,
        6..=9 => 1,
        _ => 2,
    }
}

/// Ranges of consecutive available words.
fn available_runs(available: &[bool]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (position, &free) in available.iter().enumerate() {
        match (free, start) {
            (true, None) => start = Some(position),
            (false, Some(run_start)) => {
                runs.push(run_start..position);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(run_start) = start {
        runs.push(run_start..available.len());
    }
    runs
}

fn concatenated(tokens: &[Token<'_>], span: Range<usize>) -> String {
    tokens[span]
        .iter()
        .map(|token| token.folded.as_str())
        .collect()
}

/// A group of words that could be a misspelt name: it does not start or end with a filler word
/// (`de`, `village`) and is not a bare number.
fn is_name_like(words: &[Token<'_>]) -> bool {
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        return false;
    };
    !is_filler(first.word())
        && !is_filler(last.word())
        && !words.iter().all(|token| token.digits_value().is_some())
}

/// Folded groups of up to `max_words` available words that do not overlap `excluded`.
fn spans_outside<'a>(
    tokens: &'a [Token<'_>],
    available: &'a [bool],
    excluded: &'a Range<usize>,
    max_words: usize,
) -> impl Iterator<Item = String> + 'a {
    (0..tokens.len()).flat_map(move |start| {
        (1..=max_words).filter_map(move |length| {
            let span = start..start + length;
            let clear = span.end <= tokens.len()
                && span.clone().all(|position| available[position])
                && (span.end <= excluded.start || span.start >= excluded.end);
            clear.then(|| concatenated(tokens, span))
        })
    })
}

/// The words of `span` as written, for echoing back: numbers and leading filler words left
/// out, at most 30 characters.
fn written_text(tokens: &[Token<'_>], span: Range<usize>) -> String {
    let words: Vec<&Token<'_>> = tokens[span]
        .iter()
        .filter(|token| !token.folded.bytes().all(|byte| byte.is_ascii_digit()))
        .skip_while(|token| is_filler(token.word()))
        .collect();
    let joined = words
        .iter()
        .map(|token| token.original)
        .collect::<Vec<_>>()
        .join(" ");
    joined.chars().take(MAX_WRITTEN_CHARS).collect()
}

/// The Levenshtein distance between two ASCII strings if it is at most `limit`.
fn edit_distance_within(left: &str, right: &str, limit: usize) -> Option<usize> {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    if left.len().abs_diff(right.len()) > limit {
        return None;
    }
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    let mut current = vec![0; right.len() + 1];
    for (row, &left_byte) in left.iter().enumerate() {
        current[0] = row + 1;
        let mut row_minimum = current[0];
        for (column, &right_byte) in right.iter().enumerate() {
            let substitution = previous[column] + usize::from(left_byte != right_byte);
            current[column + 1] = substitution
                .min(previous[column + 1] + 1)
                .min(current[column] + 1);
            row_minimum = row_minimum.min(current[column + 1]);
        }
        if row_minimum > limit {
            return None;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[right.len()];
    (distance <= limit).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::test_support::mali;

    fn found(directory: &CommuneDirectory, text: &str) -> (String, bool) {
        match directory.lookup(text) {
            CommuneLookup::Found { commune, fuzzy } => (commune.id.to_string(), fuzzy),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn edit_distance_is_bounded() {
        assert_eq!(
            edit_distance_within("dialassagou", "diallassagou", 1),
            Some(1)
        );
        assert_eq!(edit_distance_within("dialasagu", "diallassagou", 2), None);
        assert_eq!(
            edit_distance_within("dialasagu", "diallassagou", 3),
            Some(3)
        );
        assert_eq!(edit_distance_within("", "abc", 3), Some(3));
        assert_eq!(edit_distance_within("kitten", "sitting", 3), Some(3));
    }

    #[test]
    fn communes_answer_to_display_ascii_and_short_urban_names() {
        let directory = mali();
        assert_eq!(found(directory, "Ténenkou Commune").0, "ML050808");
        assert_eq!(found(directory, "TENENKOU"), ("ML050808".into(), false));
        assert_eq!(found(directory, "Ségou").0, "ML040224");
        assert_eq!(found(directory, "segou commune").0, "ML040224");
        assert_eq!(
            found(directory, "Gourma Rharous").0,
            found(directory, "gourma-rharous").0
        );
        assert_eq!(found(directory, "ML050303"), ("ML050303".into(), false));
        assert_eq!(
            found(directory, "Commune 3").0,
            found(directory, "Commune III").0
        );
    }

    #[test]
    fn one_wrong_letter_is_forgiven_on_long_names() {
        let directory = mali();
        assert_eq!(found(directory, "Dialassagou"), ("ML050303".into(), true));
        assert_eq!(found(directory, "Diallasagou"), ("ML050303".into(), true));
        assert_eq!(
            found(directory, "Dialassagou Bankass"),
            ("ML050303".into(), true)
        );
    }

    #[test]
    fn a_cercle_named_after_its_seat_finds_the_seat() {
        let directory = mali();
        assert_eq!(
            found(directory, "Gourma-Rharous"),
            ("ML060408".into(), false)
        );
        assert_eq!(
            found(directory, "gourma rharous"),
            ("ML060408".into(), false)
        );
        assert_eq!(found(directory, "Rharous").0, "ML060408");
    }

    #[test]
    fn a_written_cercle_corrects_a_near_namesake_in_another_cercle() {
        let directory = mali();
        // Boura is in Yorosso; the cercle of Ansongo has Bourra.
        assert_eq!(found(directory, "Boura"), ("ML030201".into(), false));
        assert_eq!(found(directory, "Boura Ansongo"), ("ML070203".into(), true));
        assert_eq!(
            found(directory, "Boura Yorosso"),
            ("ML030201".into(), false)
        );
        // A cercle with no near namesake changes nothing.
        assert_eq!(found(directory, "Bankass Koro"), ("ML050301".into(), false));
    }

    #[test]
    fn suggestions_rank_names_that_sound_alike_first() {
        let CommuneLookup::Unknown {
            written,
            suggestions,
        } = mali().lookup("Dialasagu")
        else {
            panic!("Dialasagu is two letters away from any name");
        };
        assert_eq!(written, "Dialasagu");
        let names: Vec<&str> = suggestions
            .iter()
            .map(|entry| entry.name.as_str())
            .collect();
        assert_eq!(names, ["Diallassagou"]);
        assert!(matches!(mali().lookup("de la"), CommuneLookup::Missing));
    }

    #[test]
    fn shared_names_need_a_cercle() {
        let directory = mali();
        let CommuneLookup::Ambiguous {
            written,
            candidates,
        } = directory.lookup("Benkadi")
        else {
            panic!("Benkadi is shared");
        };
        assert_eq!(written, "Benkadi");
        assert_eq!(candidates.len(), 4);
        assert_eq!(found(directory, "Benkadi Dioila").0, "ML020302");
        assert_eq!(found(directory, "Benkadi Sikasso").0, "ML030701");
        assert_eq!(found(directory, "Diédougou Ségou").0, "ML040205");
    }

    #[test]
    fn representative_points_lie_in_their_commune() {
        let directory = mali();
        let with_points = directory
            .communes()
            .iter()
            .filter(|entry| entry.representative_point.is_some())
            .count();
        assert_eq!(with_points, directory.communes().len());
    }
}
