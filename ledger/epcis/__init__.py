"""EPCIS 2.0 and FSMA 204 exports of the log (issue 13): the CBV 2.0 event hash ID, the mapping of ledger events
to EPCIS events, the EPCIS query parameters, and the FSMA 204 sortable spreadsheet of a lot."""
