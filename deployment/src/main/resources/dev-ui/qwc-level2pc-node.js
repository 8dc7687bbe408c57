import { LitElement, html, css } from 'lit';
import { JsonRpc } from 'jsonrpc';

/** The node, its peers, its figures and its branches in doubt (with the operator's decision by hand). */
export class QwcLevel2pcNode extends LitElement {
    jsonRpc = new JsonRpc(this);

    static styles = css`
        table { border-collapse: collapse; margin-bottom: 1em; }
        td, th { padding: 2px 10px; text-align: left; }
        .down { color: var(--lumo-error-text-color); }
        .up { color: var(--lumo-success-text-color); }
    `;

    static properties = { _node: { state: true }, _inDoubt: { state: true }, _message: { state: true } };

    connectedCallback() {
        super.connectedCallback();
        this._refresh();
        this._timer = setInterval(() => this._refresh(), 2000);
    }

    disconnectedCallback() {
        clearInterval(this._timer);
        super.disconnectedCallback();
    }

    _refresh() {
        this.jsonRpc.node().then(r => this._node = r.result);
        this.jsonRpc.inDoubt().then(r => this._inDoubt = r.result);
    }

    _decide(branch, commit) {
        if (!confirm((commit ? 'Commit' : 'Roll back') + ' branch ' + branch + ' by hand? Only for a coordinator lost for good.')) {
            return;
        }
        this.jsonRpc.decide({ branch: branch, commit: commit })
            .then(r => { this._message = branch + ': ' + r.result; this._refresh(); })
            .catch(e => this._message = branch + ': ' + (e.error ? e.error.message : e));
    }

    render() {
        const n = this._node;
        if (!n) {
            return html`<p>Loading…</p>`;
        }
        return html`
            <h3>Node ${n.node}: <span class="${n.state === 'ready' ? 'up' : 'down'}">${n.state}</span></h3>
            ${n.reason ? html`<p class="down">${n.reason}</p>` : ''}
            <table>
                <tr><th>Store</th><td>${n.store}</td></tr>
                <tr><th>Readable</th><td>${n.readable}</td></tr>
                <tr><th>Transactions coordinated here</th><td>${n.committed} committed, ${n.conflicts} conflicts, ${n.failed} failed</td></tr>
                <tr><th>Store writes / syncs</th><td>${n.storeWrites} / ${n.storeSyncs}</td></tr>
                ${n.quorum ? html`<tr><th>Quorum mode</th><td>${n.quorum}</td></tr>` : ''}
            </table>
            <h4>Peers</h4>
            ${n.peers.length === 0 ? html`<p>None: this node runs alone.</p>` : html`
            <table>
                <tr><th>Address</th><th>Node</th><th>State</th><th>Last error</th></tr>
                ${n.peers.map(p => html`<tr><td>${p.url}</td><td>${p.node ?? ''}</td>
                    <td class="${p.state === 'connected' ? 'up' : 'down'}">${p.state}</td><td>${p.lastError ?? ''}</td></tr>`)}
            </table>`}
            <h4>Branches in doubt (${n.inDoubt})</h4>
            ${this._message ? html`<p>${this._message}</p>` : ''}
            ${(this._inDoubt ?? []).length === 0 ? html`<p>None.</p>` : html`
            <table>
                <tr><th>Branch</th><th>Coordinator</th><th>Age</th><th>Writes</th><th></th></tr>
                ${this._inDoubt.map(d => html`<tr><td>${d.branch}</td><td>${d.coordinator}</td><td>${Math.round(d.ageMillis / 1000)} s</td>
                    <td>${d.writes}</td><td><vaadin-button @click=${() => this._decide(d.branch, true)}>Commit</vaadin-button>
                    <vaadin-button @click=${() => this._decide(d.branch, false)}>Roll back</vaadin-button></td></tr>`)}
            </table>`}
        `;
    }
}
customElements.define('qwc-level2pc-node', QwcLevel2pcNode);
