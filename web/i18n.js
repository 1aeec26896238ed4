// Every string the page shows, in French (the default) and English. Nothing else in the page
// writes user-facing text: a missing key shows as the key itself, which a test would notice.

const CATALOGUE = {
  fr: {
    title: 'Vigie — carte des alertes',
    synthetic: 'Données du serveur',
    language_switch: 'English',
    language_switch_label: 'Switch to English',
    layers: 'Couches',
    colour_by: 'Couleur des communes',
    colour_by_warning: 'niveau d’alerte',
    colour_by_count: 'nombre d’événements',
    layer_corridors: 'Couloirs de transhumance (approximatifs)',
    layer_hotspots: 'Foyers (enveloppes)',
    layer_events: 'Événements (regroupés)',
    layer_heatmap: 'Carte de chaleur',
    layer_reports: 'Signalements non vérifiés',
    legend: 'Légende',
    legend_none: 'aucune alerte',
    legend_counts: 'événements sur la période',
    legend_corridor: 'couloir (tracé approximatif)',
    legend_hotspot: 'foyer (enveloppe convexe)',
    legend_cluster: 'groupe d’événements (taille : nombre)',
    level_vigilance: 'Vigilance',
    level_alerte: 'Alerte',
    level_urgence: 'Urgence',
    warnings: 'Alertes en cours',
    warnings_empty: 'Aucune alerte ouverte.',
    sort_by: 'Trier par',
    sort_level: 'niveau',
    sort_since: 'date',
    sort_zone: 'zone',
    warning_item: '{level} — {zone} ({zone_level}), règle {rule}, depuis le {since}',
    warning_new: 'Nouvelle alerte : {level} à {zone}',
    warning_popup: 'Alerte ouverte : {level}, règle {rule}, depuis le {since}',
    zone_level_commune: 'commune',
    zone_level_cercle: 'cercle',
    zone_level_region: 'région',
    zone_level_corridor: 'couloir',
    time: 'Période',
    time_from: 'Du',
    time_to: 'au',
    time_slider: 'Fin de la période (12 derniers mois)',
    time_window: '{from} → {to}',
    filters: 'Filtres',
    event_types: 'Types d’événements',
    sources: 'Sources',
    source_acled: 'ACLED',
    source_ucdp: 'UCDP',
    source_community: 'Communautaire (vérifié)',
    show_unverified: 'Signalements non vérifiés',
    events_shown: '{count} événements affichés',
    events_locked: 'Les événements individuels demandent une clé d’analyste ou de chercheur.',
    search: 'Rechercher une commune',
    search_placeholder: 'ex. segou',
    search_none: 'Aucune commune ne correspond.',
    commune: 'Commune',
    commune_of: 'Cercle de {cercle}',
    events_30d: 'Événements (30 j) : {events}, victimes : {fatalities}',
    open_panel: 'Ouvrir la fiche',
    close: 'Fermer',
    chart_title: 'Événements et victimes par semaine (52 semaines)',
    chart_events: 'événements',
    chart_fatalities: 'victimes',
    chart_threshold: 'seuil {rule} ({level}) : {value} {metric} en {days} j',
    metric_events: 'événements',
    metric_fatalities: 'victimes',
    metric_days: 'jours avec événements',
    chart_surge: 'règle de hausse {rule} ({level}) : sans seuil fixe',
    chart_desc: '{weeks} semaines, {events} événements, {fatalities} victimes au total.',
    episodes: 'Épisodes',
    episodes_none: 'Aucun épisode.',
    episode_item: '{rule} — {level}, ouvert le {opened}{closed}',
    episode_closed: ', clos le {closed}',
    episode_open: ' (en cours)',
    downloads: 'Données de la sélection',
    download_zone: 'Commune (GeoJSON)',
    download_warnings_geojson: 'Alertes (GeoJSON)',
    download_warnings_csv: 'Alertes (CSV)',
    download_events_geojson: 'Événements (GeoJSON)',
    download_events_csv: 'Événements (CSV)',
    live_connecting: 'Connexion…',
    live_open: 'En direct',
    live_polling: 'Interrogation périodique',
    live_offline: 'Hors ligne — données possiblement périmées',
    last_update: 'Dernière mise à jour : {time} (heure de Bamako)',
    last_update_never: 'Dernière mise à jour : —',
    key: 'Clé d’accès',
    key_label: 'Clé API (analyste ou chercheur)',
    key_submit: 'Utiliser la clé',
    key_forget: 'Oublier la clé',
    key_active: 'Clé active ({role}).',
    role_analyst: 'analyste',
    role_researcher: 'chercheur',
    key_refused: 'Clé refusée par le serveur.',
    key_none: 'Vue publique : agrégats seulement.',
    queue: 'Signalements à vérifier',
    queue_empty: 'Aucun signalement en attente.',
    queue_item: '{date} — {type} à {commune}, {fatalities} victimes',
    queue_reason: 'Motif',
    verify: 'Vérifier',
    reject: 'Rejeter',
    review_done: 'Signalement {id} : {decision}.',
    review_conflict: 'Signalement {id} déjà traité.',
    review_failed: 'Échec de la décision ({status}).',
    review_forbidden: 'Cette clé ne permet pas de vérifier : il faut une clé d’analyste.',
    decision_verified: 'vérifié',
    decision_rejected: 'rejeté',
    unknown: 'inconnu',
    popup_cluster: '{count} événements, {fatalities} victimes',
    popup_event: '{date} — {type} ({source}), {fatalities} victimes',
    popup_hotspot: 'Foyer : {events} événements, {fatalities} victimes, du {first} au {last}',
    popup_corridor: 'Couloir {name} — tracé approximatif, largeur {width} km, saison {start} → {end}',
    popup_report: 'Signalement non vérifié : {type}, {date}',
    table_view: 'Vue en tableau',
    no_webgl: 'Ce navigateur ne peut pas afficher la carte (WebGL2 indisponible) : voici les données en tableau.',
    no_maplibre: 'La bibliothèque de carte n’est pas installée sur ce serveur (lancer « npm ci --prefix web ») : voici les données en tableau.',
    table_communes: 'Communes (événements sur 30 jours)',
    col_commune: 'Commune',
    col_cercle: 'Cercle',
    col_events: 'Événements',
    col_fatalities: 'Victimes',
    col_warning: 'Alerte',
    col_level: 'Niveau',
    col_zone: 'Zone',
    col_rule: 'Règle',
    col_since: 'Depuis',
    load_error: 'Chargement impossible : {what}',
    map_close_popup: 'Fermer la bulle',
    map_zoom_in: 'Zoom avant',
    map_zoom_out: 'Zoom arrière',
    map_attribution: 'Sources de la carte',
    attribution: 'Fonds : Natural Earth. Limites : OCHA/DNCT (CC BY-IGO). Couloirs approximatifs.',
  },
  en: {
    title: 'Vigie — warning map',
    synthetic: 'Server data',
    language_switch: 'Français',
    language_switch_label: 'Passer en français',
    layers: 'Layers',
    colour_by: 'Colour communes by',
    colour_by_warning: 'warning level',
    colour_by_count: 'event count',
    layer_corridors: 'Transhumance corridors (approximate)',
    layer_hotspots: 'Hotspots (hulls)',
    layer_events: 'Events (clustered)',
    layer_heatmap: 'Heatmap',
    layer_reports: 'Unverified reports',
    legend: 'Legend',
    legend_none: 'no warning',
    legend_counts: 'events in the period',
    legend_corridor: 'corridor (approximate route)',
    legend_hotspot: 'hotspot (convex hull)',
    legend_cluster: 'event cluster (size: count)',
    level_vigilance: 'Watch',
    level_alerte: 'Warning',
    level_urgence: 'Emergency',
    warnings: 'Open warnings',
    warnings_empty: 'No open warning.',
    sort_by: 'Sort by',
    sort_level: 'level',
    sort_since: 'date',
    sort_zone: 'zone',
    warning_item: '{level} — {zone} ({zone_level}), rule {rule}, since {since}',
    warning_new: 'New warning: {level} in {zone}',
    warning_popup: 'Open warning: {level}, rule {rule}, since {since}',
    zone_level_commune: 'commune',
    zone_level_cercle: 'cercle',
    zone_level_region: 'region',
    zone_level_corridor: 'corridor',
    time: 'Period',
    time_from: 'From',
    time_to: 'to',
    time_slider: 'End of the period (last 12 months)',
    time_window: '{from} → {to}',
    filters: 'Filters',
    event_types: 'Event types',
    sources: 'Sources',
    source_acled: 'ACLED',
    source_ucdp: 'UCDP',
    source_community: 'Community (verified)',
    show_unverified: 'Unverified reports',
    events_shown: '{count} events shown',
    events_locked: 'Individual events need an analyst or researcher key.',
    search: 'Find a commune',
    search_placeholder: 'e.g. segou',
    search_none: 'No commune matches.',
    commune: 'Commune',
    commune_of: 'Cercle of {cercle}',
    events_30d: 'Events (30 d): {events}, fatalities: {fatalities}',
    open_panel: 'Open the commune panel',
    close: 'Close',
    chart_title: 'Events and fatalities per week (52 weeks)',
    chart_events: 'events',
    chart_fatalities: 'fatalities',
    chart_threshold: 'threshold {rule} ({level}): {value} {metric} in {days} d',
    metric_events: 'events',
    metric_fatalities: 'fatalities',
    metric_days: 'days with events',
    chart_surge: 'surge rule {rule} ({level}): no fixed threshold',
    chart_desc: '{weeks} weeks, {events} events, {fatalities} fatalities in all.',
    episodes: 'Episodes',
    episodes_none: 'No episode.',
    episode_item: '{rule} — {level}, opened {opened}{closed}',
    episode_closed: ', closed {closed}',
    episode_open: ' (open)',
    downloads: 'Data of the selection',
    download_zone: 'Commune (GeoJSON)',
    download_warnings_geojson: 'Warnings (GeoJSON)',
    download_warnings_csv: 'Warnings (CSV)',
    download_events_geojson: 'Events (GeoJSON)',
    download_events_csv: 'Events (CSV)',
    live_connecting: 'Connecting…',
    live_open: 'Live',
    live_polling: 'Polling',
    live_offline: 'Offline — data may be stale',
    last_update: 'Last update: {time} (Bamako time)',
    last_update_never: 'Last update: —',
    key: 'Access key',
    key_label: 'API key (analyst or researcher)',
    key_submit: 'Use the key',
    key_forget: 'Forget the key',
    key_active: 'Key in use ({role}).',
    role_analyst: 'analyst',
    role_researcher: 'researcher',
    key_refused: 'The server refused the key.',
    key_none: 'Public view: aggregates only.',
    queue: 'Reports to verify',
    queue_empty: 'No report waiting.',
    queue_item: '{date} — {type} in {commune}, {fatalities} fatalities',
    queue_reason: 'Reason',
    verify: 'Verify',
    reject: 'Reject',
    review_done: 'Report {id}: {decision}.',
    review_conflict: 'Report {id} was already decided.',
    review_failed: 'The decision failed ({status}).',
    review_forbidden: 'This key cannot review reports: an analyst key is needed.',
    decision_verified: 'verified',
    decision_rejected: 'rejected',
    unknown: 'unknown',
    popup_cluster: '{count} events, {fatalities} fatalities',
    popup_event: '{date} — {type} ({source}), {fatalities} fatalities',
    popup_hotspot: 'Hotspot: {events} events, {fatalities} fatalities, {first} to {last}',
    popup_corridor: 'Corridor {name} — approximate route, {width} km wide, season {start} → {end}',
    popup_report: 'Unverified report: {type}, {date}',
    table_view: 'Table view',
    no_webgl: 'This browser cannot show the map (no WebGL2): here is the data as tables.',
    no_maplibre: 'The map library is not installed on this server (run "npm ci --prefix web"): here is the data as tables.',
    table_communes: 'Communes (events over 30 days)',
    col_commune: 'Commune',
    col_cercle: 'Cercle',
    col_events: 'Events',
    col_fatalities: 'Fatalities',
    col_warning: 'Warning',
    col_level: 'Level',
    col_zone: 'Zone',
    col_rule: 'Rule',
    col_since: 'Since',
    load_error: 'Cannot load: {what}',
    map_close_popup: 'Close popup',
    map_zoom_in: 'Zoom in',
    map_zoom_out: 'Zoom out',
    map_attribution: 'Map sources',
    attribution: 'Basemap: Natural Earth. Boundaries: OCHA/DNCT (CC BY-IGO). Corridors approximate.',
  },
};

const STORAGE_KEY = 'vigie.language';
let language = 'fr';
try {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && CATALOGUE[saved]) language = saved;
} catch {
  // Storage may be disabled: French it is.
}

export const LANGUAGES = Object.keys(CATALOGUE);

export function currentLanguage() {
  return language;
}

export function setLanguage(next) {
  if (!CATALOGUE[next]) return;
  language = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered: harmless.
  }
}

/** The string `key` in the current language, `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = CATALOGUE[language][key] ?? CATALOGUE.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A warning level's label (`vigilance`, `alerte`, `urgence`). */
export function levelLabel(level) {
  return level ? t(`level_${level}`) : t('legend_none');
}

// Mali keeps UTC all year, but the zone is named so that the label stays true if that changes.
const BAMAKO = 'Africa/Bamako';

/** A date and time in Bamako time, in the current language. */
export function formatBamakoTime(date) {
  return new Intl.DateTimeFormat(language === 'fr' ? 'fr-ML' : 'en-GB', {
    timeZone: BAMAKO,
    dateStyle: 'medium',
    timeStyle: 'medium',
  }).format(date);
}

/** A calendar day (`YYYY-MM-DD`) written out in the current language. */
export function formatDay(day) {
  if (!day) return '—';
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(language === 'fr' ? 'fr-ML' : 'en-GB', {
    timeZone: 'UTC',
    dateStyle: 'medium',
  }).format(date);
}

export function formatNumber(value) {
  return new Intl.NumberFormat(language === 'fr' ? 'fr-ML' : 'en-GB').format(value);
}
