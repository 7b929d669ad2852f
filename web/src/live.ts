// The live feed: one EventSource on /api/v1/stream (cookie-authenticated) shared by every view.
// Views subscribe to scores and alarm changes; listeners run synchronously per event, so they
// must only store data and schedule drawing (see charts/control.ts: one redraw per frame).
import type { AlarmChange, ScoreEvent } from './api';

export type LinkState = 'connecting' | 'live' | 'down';
type ScoreListener = (e: ScoreEvent) => void;
type AlarmListener = (e: AlarmChange) => void;

export class Live {
  private source: EventSource | null = null;
  private scoreListeners = new Set<ScoreListener>();
  private alarmListeners = new Set<AlarmListener>();
  private stateListeners = new Set<(s: LinkState) => void>();
  private lagListeners = new Set<() => void>();
  state: LinkState = 'connecting';
  /** Score events received since start (shown in the header for the curious, and tests). */
  received = 0;

  start(): void {
    this.stop();
    const source = new EventSource('/api/v1/stream', { withCredentials: true });
    this.source = source;
    this.set('connecting');
    source.onopen = () => this.set('live');
    // EventSource reconnects by itself; show the link as down meanwhile.
    source.onerror = () => this.set(source.readyState === EventSource.CLOSED ? 'down' : 'connecting');
    source.addEventListener('score', (e) => {
      this.received += 1;
      const data = JSON.parse((e as MessageEvent<string>).data) as ScoreEvent;
      this.scoreListeners.forEach((f) => f(data));
    });
    source.addEventListener('alarm', (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as AlarmChange;
      this.alarmListeners.forEach((f) => f(data));
    });
    source.addEventListener('lagged', () => this.lagListeners.forEach((f) => f()));
  }

  stop(): void {
    this.source?.close();
    this.source = null;
  }

  private set(state: LinkState): void {
    this.state = state;
    this.stateListeners.forEach((f) => f(state));
  }

  onScore(f: ScoreListener): () => void {
    this.scoreListeners.add(f);
    return () => this.scoreListeners.delete(f);
  }

  onAlarm(f: AlarmListener): () => void {
    this.alarmListeners.add(f);
    return () => this.alarmListeners.delete(f);
  }

  /** The server skipped events for us: views re-read what they show. */
  onLagged(f: () => void): () => void {
    this.lagListeners.add(f);
    return () => this.lagListeners.delete(f);
  }

  onState(f: (s: LinkState) => void): () => void {
    this.stateListeners.add(f);
    return () => this.stateListeners.delete(f);
  }
}
