import { LitElement, html, css } from 'lit';
import { JsonRpc } from 'jsonrpc';

/** A key browser per database: a prefix scan, one page at a time, in key order. */
export class QwcLevel2pcKeys extends LitElement {
    jsonRpc = new JsonRpc(this);

    static styles = css`
        table { border-collapse: collapse; }
        td, th { padding: 2px 10px; text-align: left; vertical-align: top; }
        .value { font-family: monospace; white-space: pre-wrap; word-break: break-all; }
    `;

    static properties = { _databases: { state: true }, _database: { state: true }, _prefix: { state: true },
        _pages: { state: true }, _page: { state: true }, _error: { state: true } };

    connectedCallback() {
        super.connectedCallback();
        this._prefix = '';
        this._pages = [''];
        this.jsonRpc.databases().then(r => {
            this._databases = r.result;
            this._database = r.result.includes('<default>') ? '<default>' : r.result[0];
            this._load();
        });
    }

    _load() {
        const after = this._pages[this._pages.length - 1];
        this.jsonRpc.keys({ database: this._database, prefix: this._prefix, after: after, limit: 50 })
            .then(r => { this._page = r.result; this._error = null; })
            .catch(e => this._error = e.error ? e.error.message : String(e));
    }

    _search(e) {
        this._prefix = e.target.value;
        this._pages = [''];
        this._load();
    }

    _select(e) {
        this._database = e.target.value;
        this._pages = [''];
        this._load();
    }

    _next() {
        const entries = this._page.entries;
        this._pages = [...this._pages, entries[entries.length - 1].key];
        this._load();
    }

    _previous() {
        this._pages = this._pages.slice(0, -1);
        this._load();
    }

    render() {
        if (!this._databases) {
            return html`<p>Loading…</p>`;
        }
        return html`
            <p>
                <select @change=${this._select}>
                    ${this._databases.map(d => html`<option ?selected=${d === this._database} value="${d}">${d}</option>`)}
                </select>
                <input placeholder="key prefix" .value=${this._prefix} @change=${this._search}>
                <vaadin-button ?disabled=${this._pages.length < 2} @click=${this._previous}>Previous</vaadin-button>
                <vaadin-button ?disabled=${!this._page || !this._page.more} @click=${this._next}>Next</vaadin-button>
            </p>
            ${this._error ? html`<p>${this._error}</p>` : ''}
            ${this._page ? html`
            <table>
                <tr><th>Key</th><th>Value</th><th>Version</th></tr>
                ${this._page.entries.map(e => html`<tr><td>${e.key}</td><td class="value">${e.value}</td><td>${e.version}</td></tr>`)}
            </table>` : ''}
        `;
    }
}
customElements.define('qwc-level2pc-keys', QwcLevel2pcKeys);
